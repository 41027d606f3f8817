// Runs the real workbench-cli (WB_CLI_PATH) as a user would and collects what it said.
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

#include <csignal>

#include <sys/resource.h>

namespace wb::test {

struct CliResult {
    int code = -1;
    QString out, err;
};

/// `file_size_limit` > 0: the child may write no file past that many bytes (RLIMIT_FSIZE), the
/// way a full disk stops it, without needing a small file system.
inline CliResult run_cli(const QStringList& args, int timeout_ms = 240000,
                         rlim_t file_size_limit = 0) {
    QProcess p;
    if (file_size_limit > 0)
        p.setChildProcessModifier([file_size_limit] {
            std::signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG instead
            rlimit limit{file_size_limit, file_size_limit};
            setrlimit(RLIMIT_FSIZE, &limit);
        });
    p.start(WB_CLI_PATH, args);
    CliResult r;
    if (!p.waitForFinished(timeout_ms)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

}  // namespace wb::test
