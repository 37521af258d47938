// One check every command calls before it writes: no output may replace a
// file the same command reads (`boundary --out run/model.safetensors` used
// to overwrite the model it had just drawn).
#include <sys/stat.h>

#include "handgrad/core/error.h"
#include "handgrad/core/files.h"

namespace handgrad {

void refuse_overwriting_inputs(const std::vector<FileRole>& inputs,
                               const std::vector<FileRole>& outputs) {
  for (const FileRole& out : outputs) {
    struct stat so {};
    if (out.path.empty() || ::stat(out.path.c_str(), &so) != 0) continue;  // new file
    for (const FileRole& in : inputs) {
      struct stat si {};
      if (in.path.empty() || ::stat(in.path.c_str(), &si) != 0) continue;
      // The same inode: the same file however it is spelled (./x, a
      // symlink, a hard link).
      if (so.st_dev == si.st_dev && so.st_ino == si.st_ino) {
        throw UsageError(out.flag + ": " + out.path + " is the file this command reads as " +
                         in.flag + " (" + in.path +
                         "); writing it would replace its input: give another " + out.flag);
      }
    }
  }
}

}  // namespace handgrad
