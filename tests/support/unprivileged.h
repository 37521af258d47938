#pragma once
// Runs a shell command as an unprivileged user: root ignores file
// permissions (and process limits), so a test of "permission denied" run as
// root switches to nobody (uid/gid 65534) in a forked child first.
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace handgrad::test {

// The command's exit status (128 + signal if killed), or -1 when the
// switch to nobody failed (then the caller skips).
inline int run_unprivileged(const std::string& shell_command) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) {
      ::_exit(255);
    }
    ::execl("/bin/sh", "sh", "-c", shell_command.c_str(), static_cast<char*>(nullptr));
    ::_exit(255);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 255) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace handgrad::test
