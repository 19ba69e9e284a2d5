// Reading and writing the check command's files. A report is written beside its target and
// renamed over it, so that a reader (a CI system collecting artifacts) never sees half a file.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace nnconform::tool {

inline bool read_text_file(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  text = s.str();
  return static_cast<bool>(in) || in.eof();
}

// Prints the reason and returns false when the file cannot be written.
inline bool write_text_file(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      std::cerr << "nnconform: cannot write " << path << "\n";
      std::remove(tmp.c_str());
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::cerr << "nnconform: cannot write " << path << ": " << ec.message() << "\n";
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace nnconform::tool
