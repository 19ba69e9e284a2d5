#include "nnconform/ref/expr.hpp"

#include <cctype>

namespace nnconform::ref {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  ExprPtr parse() {
    ExprPtr e = parse_or();
    skip_space();
    if (pos_ < s_.size()) fail("unexpected '" + std::string(1, s_[pos_]) + "'");
    return e;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;

  [[noreturn]] void fail(const std::string& message) {
    // At the end of the text, point just past its last visible character.
    std::size_t at = pos_;
    if (at >= s_.size()) {
      at = s_.size();
      while (at > 0 && std::isspace(static_cast<unsigned char>(s_[at - 1]))) --at;
    }
    throw FormulaError(static_cast<int>(at), message);
  }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool accept(std::string_view token) {
    skip_space();
    if (s_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  void expect(std::string_view token) {
    if (!accept(token)) {
      skip_space();
      fail("expected '" + std::string(token) + "'" +
           (pos_ < s_.size() ? " before '" + std::string(1, s_[pos_]) + "'" : " at end"));
    }
  }
  static ExprPtr binary(Op op, ExprPtr a, ExprPtr b, int offset) {
    auto e = std::make_shared<Expr>();
    e->kind = Expr::Kind::Binary;
    e->op = op;
    e->offset = offset;
    e->args = {std::move(a), std::move(b)};
    return e;
  }
  static ExprPtr unary(Op op, ExprPtr a, int offset) {
    auto e = std::make_shared<Expr>();
    e->kind = Expr::Kind::Unary;
    e->op = op;
    e->offset = offset;
    e->args = {std::move(a)};
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr e = parse_and();
    for (;;) {
      skip_space();
      int at = static_cast<int>(pos_);
      if (!accept("||")) return e;
      e = binary(Op::Or, e, parse_and(), at);
    }
  }
  ExprPtr parse_and() {
    ExprPtr e = parse_not();
    for (;;) {
      skip_space();
      int at = static_cast<int>(pos_);
      if (!accept("&&")) return e;
      e = binary(Op::And, e, parse_not(), at);
    }
  }
  ExprPtr parse_not() {
    skip_space();
    int at = static_cast<int>(pos_);
    if (s_.substr(pos_, 2) != "!=" && accept("!")) return unary(Op::Not, parse_not(), at);
    return parse_cmp();
  }
  ExprPtr parse_cmp() {
    ExprPtr e = parse_add();
    skip_space();
    int at = static_cast<int>(pos_);
    static constexpr std::pair<std::string_view, Op> kOps[] = {
        {"<=", Op::Le}, {">=", Op::Ge}, {"==", Op::Eq}, {"!=", Op::Ne}, {"<", Op::Lt}, {">", Op::Gt}};
    for (auto [token, op] : kOps) {
      if (accept(token)) {
        ExprPtr rhs = parse_add();
        skip_space();
        for (auto [t2, op2] : kOps)
          if (s_.substr(pos_, t2.size()) == t2) fail("comparisons do not chain: use &&");
        return binary(op, e, rhs, at);
      }
    }
    return e;
  }
  ExprPtr parse_add() {
    ExprPtr e = parse_mul();
    for (;;) {
      skip_space();
      int at = static_cast<int>(pos_);
      if (accept("+")) e = binary(Op::Add, e, parse_mul(), at);
      else if (accept("-")) e = binary(Op::Sub, e, parse_mul(), at);
      else return e;
    }
  }
  ExprPtr parse_mul() {
    ExprPtr e = parse_unary();
    for (;;) {
      skip_space();
      int at = static_cast<int>(pos_);
      if (s_.substr(pos_, 2) == "**") return e;
      if (accept("*")) e = binary(Op::Mul, e, parse_unary(), at);
      else if (accept("/")) e = binary(Op::Div, e, parse_unary(), at);
      else return e;
    }
  }
  ExprPtr parse_unary() {
    skip_space();
    int at = static_cast<int>(pos_);
    if (accept("-")) return unary(Op::Neg, parse_unary(), at);
    if (accept("+")) return parse_unary();
    return parse_power();
  }
  ExprPtr parse_power() {
    ExprPtr base = parse_postfix();
    skip_space();
    int at = static_cast<int>(pos_);
    if (accept("**") || accept("^")) return binary(Op::Pow, base, parse_unary(), at);
    return base;
  }
  ExprPtr parse_postfix() {
    ExprPtr e = parse_primary();
    for (;;) {
      skip_space();
      int at = static_cast<int>(pos_);
      if (!accept("[")) return e;
      auto index = std::make_shared<Expr>();
      index->kind = Expr::Kind::Index;
      index->offset = at;
      index->args = {e, parse_or()};
      expect("]");
      e = index;
    }
  }
  ExprPtr parse_primary() {
    skip_space();
    if (pos_ >= s_.size()) fail("expected an expression at end of formula");
    int at = static_cast<int>(pos_);
    char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      ExprPtr e = parse_or();
      expect(")");
      return e;
    }
    auto e = std::make_shared<Expr>();
    e->offset = at;
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      e->kind = Expr::Kind::Number;
      e->text = scan_number();
      return e;
    }
    if (c == '\'' || c == '"') {
      ++pos_;
      std::size_t end = s_.find(c, pos_);
      if (end == std::string_view::npos) fail("unterminated string");
      e->kind = Expr::Kind::String;
      e->text = std::string(s_.substr(pos_, end - pos_));
      pos_ = end + 1;
      return e;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      e->text = scan_name();
      skip_space();
      if (!accept("(")) {
        e->kind = Expr::Kind::Name;
        return e;
      }
      e->kind = Expr::Kind::Call;
      skip_space();
      if (accept(")")) return e;
      do {
        skip_space();
        std::string keyword;
        std::size_t save = pos_;
        if (pos_ < s_.size() && (std::isalpha(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
          std::string name = scan_name();
          skip_space();
          if (pos_ < s_.size() && s_[pos_] == '=' && s_.substr(pos_, 2) != "==") {
            ++pos_;
            keyword = name;
          } else {
            pos_ = save;
          }
        }
        e->keywords.push_back(keyword);
        e->args.push_back(parse_or());
      } while (accept(","));
      expect(")");
      return e;
    }
    fail("unexpected '" + std::string(1, c) + "'");
  }
  std::string scan_name() {
    std::size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
      ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  // Decimal literals only (digits, point, exponent); they are exact rationals to the reference.
  std::string scan_number() {
    std::size_t start = pos_;
    auto digits = [&] {
      std::size_t d = pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      return pos_ - d;
    };
    std::size_t n = digits();
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      n += digits();
    }
    if (n == 0) fail("malformed number");
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (digits() == 0) fail("malformed exponent in number");
    }
    if (pos_ < s_.size() && (std::isalpha(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
      fail("malformed number");
    return std::string(s_.substr(start, pos_ - start));
  }
};

}  // namespace

ExprPtr parse_formula(std::string_view text) { return Parser(text).parse(); }

void collect_names(const Expr& e, std::vector<const Expr*>& out) {
  if (e.kind == Expr::Kind::Name) out.push_back(&e);
  for (const auto& a : e.args) collect_names(*a, out);
}

std::string_view op_symbol(Op op) {
  switch (op) {
    case Op::Add: return "+";
    case Op::Sub: return "-";
    case Op::Mul: return "*";
    case Op::Div: return "/";
    case Op::Pow: return "^";
    case Op::Neg: return "-";
    case Op::Not: return "!";
    case Op::Lt: return "<";
    case Op::Le: return "<=";
    case Op::Gt: return ">";
    case Op::Ge: return ">=";
    case Op::Eq: return "==";
    case Op::Ne: return "!=";
    case Op::And: return "&&";
    case Op::Or: return "||";
  }
  return "?";
}

std::string to_string(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::Number:
    case Expr::Kind::Name: return e.text;
    case Expr::Kind::String: return "'" + e.text + "'";
    case Expr::Kind::Unary: return std::string(op_symbol(e.op)) + "(" + to_string(*e.args[0]) + ")";
    case Expr::Kind::Binary:
      return "(" + to_string(*e.args[0]) + " " + std::string(op_symbol(e.op)) + " " +
             to_string(*e.args[1]) + ")";
    case Expr::Kind::Index: return to_string(*e.args[0]) + "[" + to_string(*e.args[1]) + "]";
    case Expr::Kind::Call: {
      std::string s = e.text + "(";
      for (std::size_t i = 0; i < e.args.size(); ++i) {
        if (i) s += ", ";
        if (!e.keywords[i].empty()) s += e.keywords[i] + "=";
        s += to_string(*e.args[i]);
      }
      return s + ")";
    }
  }
  return "?";
}

}  // namespace nnconform::ref
