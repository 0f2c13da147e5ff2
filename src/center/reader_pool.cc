#include "center/reader_pool.h"

namespace meg {

ReaderPool::Lease::~Lease() {
  if (store_) pool_->Return(std::move(store_));
}

ReaderPool::ReaderPool(std::string path, std::size_t keep_idle) : path_(std::move(path)), keep_idle_(keep_idle) {}

Result<ReaderPool::Lease> ReaderPool::Acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<SqliteStore> store = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(store));
    }
  }
  // Opened outside the lock: opening a file may take a while, and other threads need not wait.
  auto opened = SqliteStore::OpenReader(path_);
  if (!opened) return opened.error();
  {
    std::lock_guard lock(mutex_);
    ++opened_;
  }
  return Lease(*this, std::move(*opened));
}

void ReaderPool::Return(std::unique_ptr<SqliteStore> store) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < keep_idle_) idle_.push_back(std::move(store));
  // else: closed here, by the unique_ptr
}

std::size_t ReaderPool::idle() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

std::size_t ReaderPool::opened() const {
  std::lock_guard lock(mutex_);
  return opened_;
}

}  // namespace meg
