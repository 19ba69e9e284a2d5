// The formula language of the specs: an expression tree parsed from text.
//
//   expr   := or
//   or     := and ('||' and)*          and := not ('&&' not)*
//   not    := '!' not | cmp            cmp := add (('<'|'<='|'>'|'>='|'=='|'!=') add)?
//   add    := mul (('+'|'-') mul)*     mul := unary (('*'|'/') unary)*
//   unary  := ('-'|'+') unary | power  power := postfix (('^'|'**') unary)?
//   postfix:= primary ('[' expr ']')*
//   primary:= number | 'string' | name | name '(' [arg (',' arg)*] ')' | '(' expr ')'
//   arg    := [name '='] expr
//
// Names resolve (in the spec loader) to inputs, parameters, definitions, constants, builtin
// functions or other spec'd functions. Every node keeps its offset in the source text so
// that an error points at the character.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace nnconform::ref {

enum class Op { Add, Sub, Mul, Div, Pow, Neg, Not, Lt, Le, Gt, Ge, Eq, Ne, And, Or };

struct Expr;
using ExprPtr = std::shared_ptr<const Expr>;

struct Expr {
  enum class Kind { Number, String, Name, Unary, Binary, Call, Index };
  Kind kind;
  int offset = 0;            // in the formula text
  std::string text;          // number literal, string value, name, or called function
  Op op = Op::Add;           // Unary, Binary
  std::vector<ExprPtr> args;  // operands; call arguments; Index: {vector, index}
  std::vector<std::string> keywords;  // per call argument: "" when positional
};

// A syntax error at a character offset of the formula text.
class FormulaError : public std::runtime_error {
 public:
  FormulaError(int offset, const std::string& message)
      : std::runtime_error(message), offset_(offset) {}
  int offset() const { return offset_; }

 private:
  int offset_;
};

ExprPtr parse_formula(std::string_view text);

// Names that a formula reads (inputs, parameters, definitions), with their offsets.
void collect_names(const Expr& e, std::vector<const Expr*>& out);

std::string to_string(const Expr& e);
std::string_view op_symbol(Op op);

}  // namespace nnconform::ref
