// ReaderPool: the read connections of one SQLite store (SqliteStore::OpenReader) that server
// threads borrow, owned by the live site beside the control thread's writer. WAL lets readers
// run beside the writer; a connection is used by one thread at a time, so a thread leases one
// for a request and gives it back when the lease ends. Thread-safe: a mutex guards the idle
// connections; a Lease belongs to one thread.
//
//   auto lease = pool.Acquire();
//   if (!lease) return lease.error();
//   return lease->store().Query(point, from, to, Resolution::kQuarter);
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/sqlite/sqlite_store.h"

namespace meg {

class ReaderPool {
 public:
  // A connection on loan; back in the pool when the lease is destroyed. Move-only. The pool
  // must outlive its leases.
  class Lease {
   public:
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    SqliteStore& store() { return *store_; }

   private:
    friend class ReaderPool;
    Lease(ReaderPool& pool, std::unique_ptr<SqliteStore> store) : pool_(&pool), store_(std::move(store)) {}
    ReaderPool* pool_;
    std::unique_ptr<SqliteStore> store_;
  };

  // Connections to the store at `path`, opened when first needed; at most `keep_idle` idle ones
  // are kept open (a lease returned beyond that is closed).
  explicit ReaderPool(std::string path, std::size_t keep_idle = 4);

  // An idle connection, or a new one (the error of SqliteStore::OpenReader if it cannot open).
  Result<Lease> Acquire();

  std::size_t idle() const;    // connections in the pool, not on loan
  std::size_t opened() const;  // connections opened so far

 private:
  void Return(std::unique_ptr<SqliteStore> store);

  const std::string path_;
  const std::size_t keep_idle_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<SqliteStore>> idle_;  // guarded by mutex_
  std::size_t opened_ = 0;                          // guarded by mutex_
};

}  // namespace meg
