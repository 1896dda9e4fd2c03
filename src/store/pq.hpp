// libpq, loaded at run time: neither libhashguard nor the `hashguard` CLI
// links it, so processes that never talk to the list store (a DM server, an
// image-only scan, `hashguard version`) never map it. The first connection
// dlopen()s libpq.so.5 by soname and binds the few functions used here from
// libpq-fe.h's prototypes (Debian's libpq-dev; only the declarations are
// used). A missing library is an error naming it and dlerror()'s reason.
//
// Everything returns hashguard::Error (io_error for anything the server or
// the connection says, with the server's message); nothing throws or prints:
// notices (e.g. "relation already exists, skipping") are discarded.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hashguard/status.hpp"

struct pg_conn;
struct pg_result;

namespace hashguard::store {

/// A query's rows, as text. Empty when the statement returned none.
class Rows {
public:
    Rows() = default;
    ~Rows();
    Rows(Rows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
    Rows& operator=(Rows&& o) noexcept;
    Rows(const Rows&) = delete;
    Rows& operator=(const Rows&) = delete;

    int size() const noexcept;
    int columns() const noexcept;
    bool null(int row, int col) const noexcept;
    std::string_view text(int row, int col) const noexcept;
    long long number(int row, int col) const noexcept;  ///< 0 when NULL or not a number
    /// Rows affected by an INSERT/UPDATE/DELETE.
    long long affected() const noexcept;

private:
    friend class Connection;
    explicit Rows(pg_result* r) : r_(r) {}
    pg_result* r_ = nullptr;
};

class Connection {
public:
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Connects with a libpq connection string ("host=/tmp dbname=hg" or a
    /// postgresql:// URI). Errors name the DSN's failure as libpq gives it.
    static Error open(const std::string& dsn, std::unique_ptr<Connection>& out) noexcept;

    /// Runs one or more statements without parameters.
    Error exec(const std::string& sql) noexcept;
    /// Runs one statement with text parameters ($1, $2...), keeping its rows.
    Error query(const std::string& sql, const std::vector<std::string>& params, Rows& out) noexcept;
    Error query(const std::string& sql, Rows& out) noexcept { return query(sql, {}, out); }

    /// COPY ... FROM STDIN: begin, send data (text format), end.
    Error copy_begin(const std::string& sql) noexcept;
    Error copy_put(std::string_view data) noexcept;
    Error copy_end() noexcept;
    /// Ends a COPY without applying it (the server fails the statement).
    void copy_abort(const std::string& why) noexcept;

    /// The socket to poll() for notifications.
    int socket() const noexcept;
    /// Reads what the server sent and takes the payloads of pending
    /// notifications (LISTEN). An error means the connection is lost.
    Error notifications(std::vector<std::string>& payloads) noexcept;
    /// SQLSTATE of the last failed statement ("" when none).
    const std::string& sqlstate() const noexcept { return sqlstate_; }
    bool broken() const noexcept;

private:
    Connection() = default;
    Error result_error(pg_result* r, const std::string& what);
    pg_conn* c_ = nullptr;
    std::string sqlstate_;
};

/// Appends `s` to a COPY text-format row (backslash, tab, newline and CR escaped).
void copy_escape(std::string& out, std::string_view s);

}  // namespace hashguard::store
