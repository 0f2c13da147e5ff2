#include "forecast/gbm.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <fmt/format.h>
#include <xgboost/c_api.h>

namespace meg {
namespace {

std::string LastError() { return XGBGetLastError(); }

void QuietOnce() {
  static std::once_flag once;
  std::call_once(once, [] { XGBSetGlobalConfig(R"({"verbosity": 0})"); });
}

// Owns a DMatrixHandle.
struct Matrix {
  DMatrixHandle handle = nullptr;
  ~Matrix() {
    if (handle != nullptr) XGDMatrixFree(handle);
  }
};

Result<std::unique_ptr<Matrix>> MakeMatrix(std::span<const float> features, size_t columns) {
  auto m = std::make_unique<Matrix>();
  const auto rows = static_cast<bst_ulong>(features.size() / columns);
  if (XGDMatrixCreateFromMat(features.data(), rows, static_cast<bst_ulong>(columns), std::nanf(""), &m->handle) != 0) {
    return Error{ErrorCode::kUnsupported, "XGBoost could not build the feature matrix: " + LastError()};
  }
  return m;
}

std::shared_ptr<void> OwnBooster(BoosterHandle b) {
  return std::shared_ptr<void>(b, [](void* h) {
    if (h != nullptr) XGBoosterFree(h);
  });
}

}  // namespace

Result<GradientBoostedTrees> GradientBoostedTrees::Train(std::span<const float> features, size_t columns,
                                                         std::span<const float> labels, const GbmParams& p) {
  QuietOnce();
  if (columns == 0 || labels.empty()) return InvalidInput("gradient boosting: no training rows");
  if (features.size() != labels.size() * columns) {
    return InvalidInput(fmt::format("gradient boosting: {} feature values do not make {} rows of {} columns",
                                    features.size(), labels.size(), columns));
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!std::isfinite(labels[i])) return InvalidInput(fmt::format("gradient boosting: label {} is not finite", i));
  }
  auto m = MakeMatrix(features, columns);
  if (!m) return m.error();
  if (XGDMatrixSetFloatInfo((*m)->handle, "label", labels.data(), static_cast<bst_ulong>(labels.size())) != 0) {
    return Error{ErrorCode::kUnsupported, "XGBoost refused the labels: " + LastError()};
  }
  BoosterHandle raw = nullptr;
  if (XGBoosterCreate(&(*m)->handle, 1, &raw) != 0) {
    return Error{ErrorCode::kUnsupported, "XGBoost could not create a booster: " + LastError()};
  }
  std::shared_ptr<void> booster = OwnBooster(raw);
  // Start the trees from the labels' median (absolute loss) or mean (squared loss): an absolute
  // loss moves each tree by at most eta x its gradient of +/-1, so from XGBoost's default 0.5 it
  // would need thousands of rounds to reach a load of hundreds of kW.
  std::vector<float> sorted(labels.begin(), labels.end());
  double base = 0;
  if (p.loss == GbmParams::Loss::kAbsolute) {
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(sorted.size() / 2), sorted.end());
    base = sorted[sorted.size() / 2];
  } else {
    for (float v : sorted) base += v;
    base /= static_cast<double>(sorted.size());
  }
  const std::vector<std::pair<std::string, std::string>> params{
      {"base_score", fmt::format("{}", base)},
      {"objective", p.loss == GbmParams::Loss::kAbsolute ? "reg:absoluteerror" : "reg:squarederror"},
      {"tree_method", "hist"},
      {"max_depth", std::to_string(p.max_depth)},
      {"eta", fmt::format("{}", p.learning_rate)},
      {"subsample", fmt::format("{}", p.subsample)},
      {"colsample_bytree", fmt::format("{}", p.colsample)},
      {"min_child_weight", fmt::format("{}", p.min_child_weight)},
      {"lambda", fmt::format("{}", p.lambda)},
      {"nthread", std::to_string(p.threads)},
      {"seed", std::to_string(p.seed)},
      {"verbosity", "0"},
  };
  for (const auto& [key, value] : params) {
    if (XGBoosterSetParam(raw, key.c_str(), value.c_str()) != 0) {
      return InvalidInput(fmt::format("XGBoost refused {}={}: {}", key, value, LastError()));
    }
  }
  for (int i = 0; i < p.rounds; ++i) {
    if (XGBoosterUpdateOneIter(raw, i, (*m)->handle) != 0) {
      return Error{ErrorCode::kUnsupported, fmt::format("XGBoost failed in round {}: {}", i, LastError())};
    }
  }
  return GradientBoostedTrees(std::move(booster), columns);
}

Result<GradientBoostedTrees> GradientBoostedTrees::Load(const std::string& path, size_t columns) {
  QuietOnce();
  BoosterHandle raw = nullptr;
  if (XGBoosterCreate(nullptr, 0, &raw) != 0) {
    return Error{ErrorCode::kUnsupported, "XGBoost could not create a booster: " + LastError()};
  }
  std::shared_ptr<void> booster = OwnBooster(raw);
  if (XGBoosterLoadModel(raw, path.c_str()) != 0) {
    return Error{ErrorCode::kIo, fmt::format("{}: not a readable model: {}", path, LastError())};
  }
  bst_ulong features = 0;
  if (XGBoosterGetNumFeature(raw, &features) != 0 || features != columns) {
    return InvalidInput(fmt::format("{}: the model has {} features, this forecaster uses {}", path, features, columns));
  }
  return GradientBoostedTrees(std::move(booster), columns);
}

Result<std::vector<float>> GradientBoostedTrees::Predict(std::span<const float> features) const {
  if (features.empty()) return std::vector<float>{};
  if (features.size() % columns_ != 0) {
    return InvalidInput(fmt::format("gradient boosting: {} values are not rows of {} columns", features.size(), columns_));
  }
  auto m = MakeMatrix(features, columns_);
  if (!m) return m.error();
  bst_ulong n = 0;
  const float* out = nullptr;
  if (XGBoosterPredict(booster_.get(), (*m)->handle, 0, 0, 0, &n, &out) != 0) {
    return Error{ErrorCode::kUnsupported, "XGBoost could not predict: " + LastError()};
  }
  return std::vector<float>(out, out + n);
}

Status GradientBoostedTrees::Save(const std::string& path) const {
  if (XGBoosterSaveModel(booster_.get(), path.c_str()) != 0) {
    return Error{ErrorCode::kIo, fmt::format("{}: cannot write the model: {}", path, LastError())};
  }
  return Ok{};
}

}  // namespace meg
