#include "pq.hpp"

#include <dlfcn.h>
#include <libpq-fe.h>

#include <cstdlib>

#include "hashguard/status.hpp"

namespace hashguard::store {

namespace {

constexpr const char* kLibpq = "libpq.so.5";

struct Api {
    decltype(&::PQconnectdb) connectdb = nullptr;
    decltype(&::PQstatus) status = nullptr;
    decltype(&::PQerrorMessage) error_message = nullptr;
    decltype(&::PQfinish) finish = nullptr;
    decltype(&::PQexec) exec = nullptr;
    decltype(&::PQexecParams) exec_params = nullptr;
    decltype(&::PQresultStatus) result_status = nullptr;
    decltype(&::PQresultErrorMessage) result_error = nullptr;
    decltype(&::PQresultErrorField) result_field = nullptr;
    decltype(&::PQclear) clear = nullptr;
    decltype(&::PQntuples) ntuples = nullptr;
    decltype(&::PQnfields) nfields = nullptr;
    decltype(&::PQgetvalue) getvalue = nullptr;
    decltype(&::PQgetlength) getlength = nullptr;
    decltype(&::PQgetisnull) getisnull = nullptr;
    decltype(&::PQcmdTuples) cmd_tuples = nullptr;
    decltype(&::PQputCopyData) put_copy_data = nullptr;
    decltype(&::PQputCopyEnd) put_copy_end = nullptr;
    decltype(&::PQgetResult) get_result = nullptr;
    decltype(&::PQconsumeInput) consume_input = nullptr;
    decltype(&::PQnotifies) notifies = nullptr;
    decltype(&::PQfreemem) freemem = nullptr;
    decltype(&::PQsocket) socket = nullptr;
    decltype(&::PQsetNoticeProcessor) set_notice_processor = nullptr;
    std::string error;  // why it could not be loaded ("" when loaded)
};

template <class F>
void bind(void* lib, const char* name, F& out, std::string& error) {
    out = reinterpret_cast<F>(::dlsym(lib, name));
    if (!out && error.empty()) error = std::string(kLibpq) + " has no " + name;
}

Api load() {
    Api a;
    void* lib = ::dlopen(kLibpq, RTLD_NOW | RTLD_LOCAL);  // never unloaded
    if (!lib) {
        const char* why = ::dlerror();
        a.error = std::string(kLibpq) + " could not be loaded: " + (why ? why : "unknown reason") +
                  " (install libpq5 to use the list store)";
        return a;
    }
    bind(lib, "PQconnectdb", a.connectdb, a.error);
    bind(lib, "PQstatus", a.status, a.error);
    bind(lib, "PQerrorMessage", a.error_message, a.error);
    bind(lib, "PQfinish", a.finish, a.error);
    bind(lib, "PQexec", a.exec, a.error);
    bind(lib, "PQexecParams", a.exec_params, a.error);
    bind(lib, "PQresultStatus", a.result_status, a.error);
    bind(lib, "PQresultErrorMessage", a.result_error, a.error);
    bind(lib, "PQresultErrorField", a.result_field, a.error);
    bind(lib, "PQclear", a.clear, a.error);
    bind(lib, "PQntuples", a.ntuples, a.error);
    bind(lib, "PQnfields", a.nfields, a.error);
    bind(lib, "PQgetvalue", a.getvalue, a.error);
    bind(lib, "PQgetlength", a.getlength, a.error);
    bind(lib, "PQgetisnull", a.getisnull, a.error);
    bind(lib, "PQcmdTuples", a.cmd_tuples, a.error);
    bind(lib, "PQputCopyData", a.put_copy_data, a.error);
    bind(lib, "PQputCopyEnd", a.put_copy_end, a.error);
    bind(lib, "PQgetResult", a.get_result, a.error);
    bind(lib, "PQconsumeInput", a.consume_input, a.error);
    bind(lib, "PQnotifies", a.notifies, a.error);
    bind(lib, "PQfreemem", a.freemem, a.error);
    bind(lib, "PQsocket", a.socket, a.error);
    bind(lib, "PQsetNoticeProcessor", a.set_notice_processor, a.error);
    return a;
}

// Loaded once per process; a failure is kept too.
const Api& api() noexcept {
    static const Api a = [] {
        try {
            return load();
        } catch (...) {
            Api none;
            none.error = "out of memory loading libpq";
            return none;
        }
    }();
    return a;
}

void discard_notice(void*, const char*) {}

std::string trimmed(const char* msg) {
    std::string s = msg ? msg : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s.empty() ? "unknown error" : s;
}

}  // namespace

Rows::~Rows() {
    if (r_) api().clear(r_);
}

Rows& Rows::operator=(Rows&& o) noexcept {
    if (this != &o) {
        if (r_) api().clear(r_);
        r_ = o.r_;
        o.r_ = nullptr;
    }
    return *this;
}

int Rows::size() const noexcept { return r_ ? api().ntuples(r_) : 0; }
int Rows::columns() const noexcept { return r_ ? api().nfields(r_) : 0; }
bool Rows::null(int row, int col) const noexcept { return !r_ || api().getisnull(r_, row, col); }
std::string_view Rows::text(int row, int col) const noexcept {
    if (null(row, col)) return {};
    return {api().getvalue(r_, row, col), static_cast<std::size_t>(api().getlength(r_, row, col))};
}
long long Rows::number(int row, int col) const noexcept {
    if (null(row, col)) return 0;
    return std::strtoll(api().getvalue(r_, row, col), nullptr, 10);
}
long long Rows::affected() const noexcept { return r_ ? std::strtoll(api().cmd_tuples(r_), nullptr, 10) : 0; }

Connection::~Connection() {
    if (c_) api().finish(c_);
}

Error Connection::open(const std::string& dsn, std::unique_ptr<Connection>& out) noexcept {
    try {
        const Api& a = api();
        if (!a.error.empty()) return {Status::io_error, a.error};
        std::unique_ptr<Connection> c(new Connection());
        c->c_ = a.connectdb(dsn.c_str());
        if (!c->c_) return {Status::out_of_memory, "libpq could not allocate a connection"};
        if (a.status(c->c_) != CONNECTION_OK)
            return {Status::io_error, "cannot connect to the list store: " + trimmed(a.error_message(c->c_))};
        a.set_notice_processor(c->c_, discard_notice, nullptr);
        out = std::move(c);
        return {};
    } catch (const std::bad_alloc&) {
        return {Status::out_of_memory, "out of memory connecting to the list store"};
    }
}

Error Connection::result_error(pg_result* r, const std::string& what) {
    const Api& a = api();
    const char* state = r ? a.result_field(r, PG_DIAG_SQLSTATE) : nullptr;
    sqlstate_ = state ? state : "";
    std::string msg = r ? trimmed(a.result_error(r)) : trimmed(a.error_message(c_));
    if (r) a.clear(r);
    return {Status::io_error, "list store: " + what + ": " + msg};
}

Error Connection::exec(const std::string& sql) noexcept {
    Rows rows;
    return query(sql, {}, rows);
}

Error Connection::query(const std::string& sql, const std::vector<std::string>& params, Rows& out) noexcept {
    try {
        const Api& a = api();
        std::vector<const char*> values;
        for (const auto& p : params) values.push_back(p.c_str());
        pg_result* r = params.empty() ? a.exec(c_, sql.c_str())
                                      : a.exec_params(c_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                                      values.data(), nullptr, nullptr, 0);
        const ExecStatusType st = r ? a.result_status(r) : PGRES_FATAL_ERROR;
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            std::string first = sql.substr(0, sql.find_first_of("(\n"));
            return result_error(r, "'" + first + "' failed");
        }
        sqlstate_.clear();
        out = Rows(r);
        return {};
    } catch (const std::bad_alloc&) {
        return {Status::out_of_memory, "out of memory querying the list store"};
    }
}

Error Connection::copy_begin(const std::string& sql) noexcept {
    const Api& a = api();
    pg_result* r = a.exec(c_, sql.c_str());
    if (!r || a.result_status(r) != PGRES_COPY_IN) return result_error(r, "COPY could not start");
    a.clear(r);
    return {};
}

Error Connection::copy_put(std::string_view data) noexcept {
    while (!data.empty()) {
        const std::size_t n = std::min<std::size_t>(data.size(), std::size_t{1} << 30);
        if (api().put_copy_data(c_, data.data(), static_cast<int>(n)) != 1)
            return result_error(nullptr, "COPY data could not be sent");
        data.remove_prefix(n);
    }
    return {};
}

Error Connection::copy_end() noexcept {
    const Api& a = api();
    if (a.put_copy_end(c_, nullptr) != 1) return result_error(nullptr, "COPY could not be finished");
    Error e;
    while (pg_result* r = a.get_result(c_)) {
        if (a.result_status(r) != PGRES_COMMAND_OK) {
            if (!e) e = result_error(r, "COPY failed");
            else a.clear(r);
        } else {
            a.clear(r);
        }
    }
    return e;
}

void Connection::copy_abort(const std::string& why) noexcept {
    const Api& a = api();
    if (a.put_copy_end(c_, why.c_str()) != 1) return;
    while (pg_result* r = a.get_result(c_)) a.clear(r);
}

int Connection::socket() const noexcept { return api().socket(c_); }

bool Connection::broken() const noexcept { return !c_ || api().status(c_) != CONNECTION_OK; }

Error Connection::notifications(std::vector<std::string>& payloads) noexcept {
    try {
        const Api& a = api();
        if (a.consume_input(c_) != 1) return result_error(nullptr, "connection lost");
        while (PGnotify* n = a.notifies(c_)) {
            payloads.emplace_back(n->extra ? n->extra : "");
            a.freemem(n);
        }
        if (broken()) return result_error(nullptr, "connection lost");
        return {};
    } catch (const std::bad_alloc&) {
        return {Status::out_of_memory, "out of memory reading notifications"};
    }
}

void copy_escape(std::string& out, std::string_view s) {
    for (char ch : s) {
        switch (ch) {
            case '\\': out += "\\\\"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            default: out += ch;
        }
    }
}

}  // namespace hashguard::store
