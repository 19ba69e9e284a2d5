// Shared by the golden-vector suites (vectors_conformance_test.cpp, gradient_vectors_test.cpp):
// the Markdown table of measured rows that each writes into the build tree. ctest runs each test
// in its own process (several at a time with -jN), so the table is read, updated row by row (a
// row is keyed by its first cells) and rewritten under an exclusive lock, through a temporary
// file renamed over it: a run of any subset refreshes its own rows and keeps the others.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace nnconform::conformance::testing {

using TableKey = std::vector<std::string>;
using TableOrder = std::function<bool(const TableKey&, const TableKey&)>;

// The first `n` cells of a row "| a | b | ... |", trimmed (fewer if the row has fewer).
inline TableKey table_row_key(const std::string& line, std::size_t n) {
  TableKey key;
  std::istringstream cells(line.substr(2));
  std::string cell;
  while (key.size() < n && std::getline(cells, cell, '|')) {
    cell.erase(0, cell.find_first_not_of(' '));
    cell.erase(cell.find_last_not_of(' ') + 1);
    key.push_back(cell);
  }
  return key;
}

// Merges this run's `rows` (Markdown rows without their newline, keyed by their first
// `key_cells` cells) into the table at `path`, whose first lines are `header`: the file's rows
// with another key are kept, those with a key of this run replaced, and all are written in the
// order `before` of their keys (lexicographic by default; it must tell any two keys apart).
inline void merge_table_rows(const std::string& path, const std::string& header, const std::vector<std::string>& rows,
                             std::size_t key_cells, TableOrder before = std::less<TableKey>()) {
  std::map<TableKey, std::string, TableOrder> table(before);
  for (const std::string& row : rows) table[table_row_key(row, key_cells)] = row;
  const std::string header_first = table_row_key(header, 1).at(0);  // "function": the header row

  const int lock = ::open((path + ".lock").c_str(), O_CREAT | O_RDWR, 0644);
  if (lock >= 0) ::flock(lock, LOCK_EX);
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {  // rows: "| a | b | ..."; the header and its rule are skipped
      if (line.rfind("| ", 0) != 0) continue;
      TableKey key = table_row_key(line, key_cells);
      if (key.size() < key_cells || key[0] == header_first) continue;
      table.emplace(std::move(key), line);  // keeps this run's rows
    }
  }
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << header;
    for (const auto& [key, row] : table) out << row << "\n";
  }
  std::filesystem::rename(tmp, path);
  if (lock >= 0) {
    ::flock(lock, LOCK_UN);
    ::close(lock);
  }
}

}  // namespace nnconform::conformance::testing
