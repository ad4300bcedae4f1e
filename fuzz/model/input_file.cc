// Reading and writing saved model inputs (see input_file.h).
#include "pcirig/model/input_file.h"

#include <cctype>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace pcirig::model {

static const char kMagic[] = "# pcirig-model input";

SavedInput read_input_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open");
  std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  SavedInput in;
  if (data.rfind(kMagic, 0) != 0) {
    in.bytes.assign(data.begin(), data.end());
    return in;
  }
  in.has_header = true;
  std::istringstream ss(data);
  std::string line;
  int lineno = 0;
  bool have_bytes = false;
  while (std::getline(ss, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string::npos)
      throw std::runtime_error(path + ":" + std::to_string(lineno) + ": expected 'key: value', got '" + line + "'");
    std::string key = line.substr(0, colon);
    std::string val = line.substr(colon + 1);
    while (!val.empty() && val.front() == ' ') val.erase(0, 1);
    if (key == "variant") in.variant = val;
    else if (key == "kind") in.kind = val;
    else if (key == "title") in.title = val;
    else if (key == "scenario") in.scenario = val;
    else if (key == "kcsan") in.kcsan = val == "1";
    else if (key == "lockless") in.lockless = val == "1";
    else if (key == "skip_known") in.skip_known = val == "1";
    else if (key == "bytes") {
      if (val.size() % 2) throw std::runtime_error(path + ":" + std::to_string(lineno) + ": odd number of hex digits");
      for (std::size_t i = 0; i < val.size(); i += 2) {
        if (!std::isxdigit(static_cast<unsigned char>(val[i])) || !std::isxdigit(static_cast<unsigned char>(val[i + 1])))
          throw std::runtime_error(path + ":" + std::to_string(lineno) + ":" + std::to_string(colon + 3 + i) +
                                   ": bad hex in key 'bytes'");
        in.bytes.push_back(static_cast<std::uint8_t>(std::stoul(val.substr(i, 2), nullptr, 16)));
      }
      have_bytes = true;
    } else {
      throw std::runtime_error(path + ":" + std::to_string(lineno) + ": unknown key '" + key + "'");
    }
  }
  if (in.variant.empty()) throw std::runtime_error(path + ": missing key 'variant'");
  if (!have_bytes) throw std::runtime_error(path + ": missing key 'bytes'");
  return in;
}

void write_input_file(const std::string& path, const SavedInput& in) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw std::runtime_error(path + ": cannot write");
  f << kMagic << "\n";
  f << "variant: " << in.variant << "\n";
  if (!in.kind.empty()) f << "kind: " << in.kind << "\n";
  if (!in.title.empty()) f << "title: " << in.title << "\n";
  if (!in.scenario.empty()) f << "scenario: " << in.scenario << "\n";
  f << "kcsan: " << (in.kcsan ? 1 : 0) << "\n";
  f << "lockless: " << (in.lockless ? 1 : 0) << "\n";
  if (in.skip_known) f << "skip_known: 1\n";
  f << "bytes: ";
  static const char hex[] = "0123456789abcdef";
  for (auto b : in.bytes) f << hex[b >> 4] << hex[b & 15];
  f << "\n";
  if (!f) throw std::runtime_error(path + ": write failed (disk full?)");
}

}  // namespace pcirig::model
