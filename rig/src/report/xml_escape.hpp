// Text for XML and HTML bodies and attributes.
#pragma once
#include <string>

namespace pcirig {
inline std::string xml_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      default:
        // Control characters are not allowed in XML 1.0 (a console title may carry one).
        if (c < 0x20 && c != '\n' && c != '\t') o += '?';
        else o += char(c);
    }
  }
  return o;
}
}  // namespace pcirig
