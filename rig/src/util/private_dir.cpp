#include "util/private_dir.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace pcirig {

std::filesystem::path make_private_dir(const std::filesystem::path& parent, const std::string& prefix) {
  std::string tmpl = (parent / (prefix + "XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error(fmt::format("cannot create a private directory {}: {}", tmpl, std::strerror(errno)));
  struct stat st{};
  std::string why;
  if (::lstat(tmpl.c_str(), &st) != 0) why = std::strerror(errno);
  else if (!S_ISDIR(st.st_mode)) why = "not a directory";
  else if (st.st_uid != ::geteuid()) why = fmt::format("owned by uid {}, not {}", st.st_uid, ::geteuid());
  else if (st.st_mode & 077) why = fmt::format("mode {:o}, open to others", st.st_mode & 07777);
  if (!why.empty()) throw std::runtime_error(fmt::format("private directory {} is unsafe: {}", tmpl, why));
  return tmpl;
}
}  // namespace pcirig
