// Test helper: runs a child process with its output captured; kills it if the test ends
// early. Used by the process-level dataplane tests.
#pragma once

#include <csignal>
#include <poll.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace l2tpx::dp::test {

class process {
public:
	process(const std::vector<std::string> &args) {
		int fds[2];
		if (pipe(fds) != 0)
			return;
		pid_ = fork();
		if (pid_ == 0) {
			dup2(fds[1], 1);
			dup2(fds[1], 2);
			close(fds[0]);
			std::vector<char *> argv;
			for (auto &a : args)
				argv.push_back(const_cast<char *>(a.c_str()));
			argv.push_back(nullptr);
			execv(argv[0], argv.data());
			_exit(127);
		}
		close(fds[1]);
		out_ = fds[0];
	}
	~process() {
		if (pid_ > 0) { // test failed half-way: do not leave it running
			kill(pid_, SIGKILL);
			waitpid(pid_, nullptr, 0);
		}
		if (out_ >= 0)
			close(out_);
	}
	// Reads output until `needle` appears or the process closes its output.
	bool wait_for(const std::string &needle) {
		char buf[4096];
		while (log_.find(needle) == std::string::npos) {
			pollfd p{out_, POLLIN, 0};
			if (poll(&p, 1, 60000) <= 0)
				return false;
			const ssize_t n = read(out_, buf, sizeof(buf));
			if (n <= 0)
				return false;
			log_.append(buf, size_t(n));
		}
		return true;
	}
	int stop(int sig) {
		kill(pid_, sig);
		return wait_exit();
	}
	int wait_exit() {
		int st = 0;
		waitpid(pid_, &st, 0);
		pid_ = -1;
		wait_for("\x01never"); // drain the rest of the log
		return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	const std::string &log() const { return log_; }

private:
	pid_t pid_ = -1;
	int out_ = -1;
	std::string log_;
};

} // namespace l2tpx::dp::test
