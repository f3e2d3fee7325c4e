#include "serve/job_store.h"

#include <sqlite3.h>

#include "serve/request_text.h"
#include "tensor/error.h"

namespace nst::serve {
namespace {

// One prepared statement: bind, step, read columns; finalized when it goes out of scope.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::string& store)
      : db_(db), store_(store) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail_here("prepare");
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, double value) {
    sqlite3_bind_double(stmt_, i, value);
    return *this;
  }
  Statement& bind(int i, int value) {
    sqlite3_bind_int(stmt_, i, value);
    return *this;
  }
  // True while there is a row to read.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail_here("step");
    return false;
  }
  std::string text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
  }
  double real(int column) const { return sqlite3_column_double(stmt_, column); }
  int integer(int column) const { return sqlite3_column_int(stmt_, column); }

 private:
  [[noreturn]] void fail_here(const char* what) const {
    fail(store_, ": SQLite ", what, " failed: ", sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  const std::string& store_;
};

// The columns a record is read from and written to: its fields (serve/job_record.h).
std::string column_list() {
  std::string list;
  for (const std::string& name : record_field_names()) list += (list.empty() ? "" : ", ") + name;
  return list;
}

JobRecord record_from(const Statement& row) {
  RecordFields fields;
  int column = 0;
  for (const std::string& name : record_field_names()) fields[name] = row.text(column++);
  return record_from_fields(fields);
}

void add_column_if_missing(sqlite3* db, const std::string& store, const std::string& name,
                           const std::string& definition) {
  Statement has(db, "SELECT COUNT(*) FROM pragma_table_info('jobs') WHERE name = ?", store);
  has.bind(1, name).step();
  if (has.integer(0) == 0)
    Statement(db, "ALTER TABLE jobs ADD COLUMN " + name + " " + definition, store).step();
}

}  // namespace

JobStore::JobStore(const std::string& path) : path_(path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    fail(path, ": cannot open the job store: ", message);
  }
  sqlite3_busy_timeout(db_, 5000);
  for (const char* sql :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
        "CREATE TABLE IF NOT EXISTS jobs ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,"
        " state TEXT NOT NULL, options TEXT NOT NULL, content_name TEXT NOT NULL,"
        " style_names TEXT NOT NULL, iteration INTEGER NOT NULL,"
        " iterations INTEGER NOT NULL, losses TEXT NOT NULL, created REAL NOT NULL,"
        " started REAL NOT NULL, finished REAL NOT NULL, error TEXT NOT NULL)"}) {
    Statement(db_, sql, path_).step();
  }
  // A store made before jobs counted their attempts, or before a field of the record existed
  // (settings, worker, ending: all text), gets the column.
  add_column_if_missing(db_, path_, "attempts", "INTEGER NOT NULL DEFAULT 0");
  for (const std::string& field : record_field_names())
    add_column_if_missing(db_, path_, field, "TEXT NOT NULL DEFAULT ''");
}

JobStore::~JobStore() { sqlite3_close(db_); }

void JobStore::insert(const JobRecord& record) {
  const std::lock_guard lock(mutex_);
  const std::vector<std::string>& names = record_field_names();
  std::string places;
  for (std::size_t i = 0; i < names.size(); ++i) places += i == 0 ? "?" : ", ?";
  Statement insert(db_, "INSERT INTO jobs (" + column_list() + ") VALUES (" + places + ")", path_);
  const RecordFields fields = record_fields(record);
  int place = 1;
  for (const std::string& name : names) insert.bind(place++, fields.at(name));
  insert.step();
}

std::optional<JobRecord> JobStore::get(const std::string& id) {
  const std::lock_guard lock(mutex_);
  Statement row(db_, "SELECT " + column_list() + " FROM jobs WHERE id = ?", path_);
  row.bind(1, id);
  if (!row.step()) return std::nullopt;
  return record_from(row);
}

std::vector<JobRecord> JobStore::list() {
  const std::lock_guard lock(mutex_);
  Statement row(db_, "SELECT " + column_list() + " FROM jobs ORDER BY seq DESC", path_);
  std::vector<JobRecord> records;
  while (row.step()) records.push_back(record_from(row));
  return records;
}

std::vector<std::string> JobStore::ids() {
  const std::lock_guard lock(mutex_);
  Statement row(db_, "SELECT id FROM jobs", path_);
  std::vector<std::string> ids;
  while (row.step()) ids.push_back(row.text(0));
  return ids;
}

int JobStore::count(JobState state) {
  const std::lock_guard lock(mutex_);
  Statement row(db_, "SELECT COUNT(*) FROM jobs WHERE state = ?", path_);
  row.bind(1, std::string(state_name(state)));
  row.step();
  return row.integer(0);
}

int JobStore::queue_position(const std::string& id) {
  const std::lock_guard lock(mutex_);
  Statement row(db_,
                "SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND seq <= "
                "(SELECT seq FROM jobs WHERE id = ? AND state = 'queued')",
                path_);
  row.bind(1, id);
  row.step();
  return row.integer(0);
}

std::optional<JobRecord> JobStore::start_next() {
  const std::lock_guard lock(mutex_);
  std::string id;
  {
    Statement row(db_, "SELECT id FROM jobs WHERE state = 'queued' ORDER BY seq LIMIT 1", path_);
    if (!row.step()) return std::nullopt;
    id = row.text(0);
  }
  Statement(db_,
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, started = CASE WHEN "
            "started = 0 THEN ? ELSE started END WHERE id = ? AND state = 'queued'",
            path_)
      .bind(1, now_seconds())
      .bind(2, id)
      .step();
  Statement row(db_, "SELECT " + column_list() + " FROM jobs WHERE id = ?", path_);
  row.bind(1, id);
  row.step();
  return record_from(row);
}

bool JobStore::update_progress(const std::string& id, int iteration, int iterations,
                               const nlohmann::json& losses) {
  const std::lock_guard lock(mutex_);
  Statement(db_,
            "UPDATE jobs SET iteration = ?, iterations = ?, losses = ? WHERE id = ? AND state = "
            "'running'",
            path_)
      .bind(1, iteration)
      .bind(2, iterations)
      .bind(3, json_text(losses))
      .bind(4, id)
      .step();
  return sqlite3_changes(db_) > 0;
}

bool JobStore::finish(const std::string& id, JobState state, const std::string& error,
                      const std::string& ending, double speed) {
  const std::lock_guard lock(mutex_);
  Statement(
      db_,
      "UPDATE jobs SET state = ?, error = ?, ending = ?, speed = ?, finished = ? WHERE id = ? "
      "AND state = 'running'",
      path_)
      .bind(1, std::string(state_name(state)))
      .bind(2, error)
      .bind(3, ending)
      .bind(4, speed > 0 ? exact_text(speed) : std::string())
      .bind(5, now_seconds())
      .bind(6, id)
      .step();
  return sqlite3_changes(db_) > 0;
}

bool JobStore::cancel(const std::string& id) {
  const std::lock_guard lock(mutex_);
  Statement(db_,
            "UPDATE jobs SET state = 'cancelled', finished = ? WHERE id = ? AND state IN "
            "('queued', 'running')",
            path_)
      .bind(1, now_seconds())
      .bind(2, id)
      .step();
  return sqlite3_changes(db_) > 0;
}

void JobStore::remove(const std::string& id) {
  const std::lock_guard lock(mutex_);
  Statement(db_, "DELETE FROM jobs WHERE id = ?", path_).bind(1, id).step();
}

int JobStore::requeue_running() {
  const std::lock_guard lock(mutex_);
  Statement(db_, "UPDATE jobs SET state = 'queued' WHERE state = 'running'", path_).step();
  return sqlite3_changes(db_);
}

std::string JobStore::exhausted_message(int max_attempts) {
  return "its run ended abnormally " + std::to_string(max_attempts) +
         " times in a row without saving progress (the process running it was killed: out of "
         "memory?); it is not tried again (--max-attempts " +
         std::to_string(max_attempts) + ")";
}

void JobStore::progress_saved(const std::string& id) {
  const std::lock_guard lock(mutex_);
  Statement(db_, "UPDATE jobs SET attempts = 0 WHERE id = ?", path_).bind(1, id).step();
}

std::vector<std::string> JobStore::fail_exhausted(int max_attempts, const std::string& message) {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  {
    Statement row(db_, "SELECT id FROM jobs WHERE state = 'queued' AND attempts >= ?", path_);
    row.bind(1, max_attempts);
    while (row.step()) ids.push_back(row.text(0));
  }
  for (const std::string& id : ids) {
    Statement(db_,
              "UPDATE jobs SET state = 'failed', error = ?, finished = ? WHERE id = ? AND state = "
              "'queued'",
              path_)
        .bind(1, message)
        .bind(2, now_seconds())
        .bind(3, id)
        .step();
  }
  return ids;
}

}  // namespace nst::serve
