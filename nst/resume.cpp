#include "nst/resume.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "files/sha256.h"
#include "nst/setting_table.h"
#include "tensor/error.h"

namespace nst {
namespace {

constexpr const char* kFormat = "nst-resume";
// Version 2 added colour preservation, scales and the scale of each row; a version-1 file is
// read as what it was, a single-scale run without colour preservation. Version 3 added the
// JPEG quality and the PNG compression to the settings, version 4 the tolerance and its window,
// version 5 Adam's beta2, version 6 the tile size, version 7 the PNG bit depth. A setting newer
// than a file keeps its default (SettingSpec::since_version), except where the default has changed
// since: a run saved before the tolerance existed runs every iteration, and one saved before beta2
// existed keeps PyTorch's, as they would have.
constexpr int kVersion = 7;
constexpr const char* kVersion1 = "1";

// Numbers as text that reads back to the same value.
std::string exact(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

std::string joined(const std::vector<std::string>& parts, char separator) {
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i)
    text += (i > 0 ? std::string(1, separator) : "") + parts[i];
  return text;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  if (text.empty()) return parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  if (text.back() == separator) parts.emplace_back();
  return parts;
}

// Writes the metadata of a resume file, in a fixed order.
class Writer {
 public:
  void put(const std::string& key, const std::string& value) { metadata.emplace_back(key, value); }
  void put(const std::string& key, double value) { put(key, exact(value)); }
  void put_int(const std::string& key, int64_t value) { put(key, std::to_string(value)); }
  void put_tensor(const std::string& name, const Tensor& t) {
    if (t.defined()) tensors.emplace_back(name, t);
  }
  Metadata metadata;
  NamedTensors tensors;
};

// Reads it back; every lookup that fails names the file and the field.
class Reader {
 public:
  explicit Reader(const std::string& path) : file_(checked(path)), path_(path) {
    for (const auto& [key, value] : file_.metadata()) values_[key] = value;
  }

  const std::string& text(const std::string& key) const {
    const auto it = values_.find(key);
    NST_CHECK(it != values_.end(), path_, ": the resume file lacks '", key, "'");
    return it->second;
  }
  bool has(const std::string& key) const { return values_.count(key) > 0; }

  template <class T>
  T number(const std::string& key, const std::string& value) const {
    T v{};
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    NST_CHECK(ec == std::errc() && end == value.data() + value.size() && !value.empty(), path_,
              ": the resume file's '", key, "' is not a number: '", value, "'");
    return v;
  }
  template <class T>
  T number(const std::string& key) const {
    return number<T>(key, text(key));
  }
  std::vector<double> numbers(const std::string& key) const {
    std::vector<double> out;
    for (const std::string& part : split(text(key), ',')) out.push_back(number<double>(key, part));
    return out;
  }

  Tensor tensor(const std::string& name, bool required = true) const {
    const SafetensorsEntry* entry = file_.find(name);
    NST_CHECK(entry != nullptr || !required, path_, ": the resume file lacks the tensor '", name,
              "'");
    return entry != nullptr ? file_.load(*entry) : Tensor();
  }
  // A tensor of the optimiser's state: a value that is not finite would only show up later, as
  // a diverged run blamed on the settings.
  Tensor finite_tensor(const std::string& name, bool required = true) const {
    Tensor t = tensor(name, required);
    if (!t.defined()) return t;
    const auto v = t.values();
    NST_CHECK(std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); }), path_,
              ": the resume file's tensor '", name, "' holds values that are not finite");
    return t;
  }
  double finite_number(const std::string& key) const {
    const double v = number<double>(key);
    NST_CHECK(std::isfinite(v), path_, ": the resume file's '", key, "' is not finite");
    return v;
  }

  const std::string& path() const { return path_; }
  const std::string& version() const { return text("version"); }
  int version_number() const { return number<int>("version"); }
  const Metadata& metadata() const { return file_.metadata(); }

 private:
  // A clear word for files of other kinds before the safetensors reader describes their bytes.
  static const std::string& checked(const std::string& path) {
    const MappedFile file(path);
    NST_CHECK(may_be_safetensors(file.bytes()), path, ": not an nst resume file",
              apparent_kind(file.bytes()));
    return path;
  }
  SafetensorsFile file_;
  std::string path_;
  std::map<std::string, std::string> values_;
};

// Settings are written as the table writes them (nst/setting_table.h), one key each:
// "settings.style_weight" = "330".
void write_settings(Writer& w, const JobSettings& s) {
  for (const SettingSpec& spec : setting_specs())
    w.put("settings." + std::string(spec.field), spec.text(s));
}

JobSettings read_settings(const Reader& r) {
  JobSettings s;
  for (const SettingSpec& spec : setting_specs()) {
    const std::string key = "settings." + std::string(spec.field);
    if (r.version_number() < spec.since_version) continue;  // a setting added since
    try {
      spec.parse(s, r.text(key), key);
    } catch (const SettingError& e) {
      fail(r.path(), ": the resume file's ", e.what());
    }
  }
  if (r.version() == kVersion1) s.scales = 1;
  if (r.version_number() < 4) s.tolerance = 0;  // runs saved before it ran every iteration
  if (r.version_number() < 5) s.adam_beta2 = nn::AdamOptions{}.beta2;
  return s;
}

void write_state(Writer& w, const RunState& state) {
  w.put_int("state.iteration", state.iteration);
  w.put_int("state.scale", state.scale);
  w.put_int("state.earlier_iterations", state.earlier_iterations);
  w.put_tensor("image", state.image);
  if (state.optimizer == OptimizerKind::adam) {
    w.put_int("adam.steps", state.adam.steps);
    NST_CHECK(state.adam.m.size() == 1, "a style-transfer Adam has one parameter");
    w.put_tensor("adam.m", state.adam.m[0]);
    w.put_tensor("adam.v", state.adam.v[0]);
    return;
  }
  const nn::Lbfgs::State& l = state.lbfgs;
  w.put_int("lbfgs.iterations", l.iterations);
  w.put_int("lbfgs.function_evaluations", l.function_evaluations);
  w.put("lbfgs.t", l.t);
  w.put("lbfgs.prev_loss", l.prev_loss);
  w.put("lbfgs.h_diag", l.h_diag);
  w.put("lbfgs.loss", l.loss);
  w.put_int("lbfgs.going", state.lbfgs_going ? 1 : 0);
  std::vector<std::string> rho;
  for (double r : l.rho) rho.push_back(exact(r));
  w.put("lbfgs.rho", joined(rho, ','));
  w.put_tensor("lbfgs.d", l.d);
  w.put_tensor("lbfgs.prev_flat_grad", l.prev_flat_grad);
  w.put_tensor("lbfgs.flat_grad", l.flat_grad);
  for (std::size_t i = 0; i < l.old_dirs.size(); ++i) {
    w.put_tensor("lbfgs.y." + std::to_string(i), l.old_dirs[i]);
    w.put_tensor("lbfgs.s." + std::to_string(i), l.old_steps[i]);
  }
}

RunState read_state(const Reader& r, OptimizerKind optimizer) {
  RunState state;
  state.optimizer = optimizer;
  state.iteration = r.number<int>("state.iteration");
  if (r.version() != kVersion1) {
    state.scale = r.number<int>("state.scale");
    state.earlier_iterations = r.number<int>("state.earlier_iterations");
  }
  NST_CHECK(state.iteration >= 0 && state.scale >= 0 && state.earlier_iterations >= 0, r.path(),
            ": the resume file's state is at a negative scale or iteration");
  state.image = r.finite_tensor("image");
  if (optimizer == OptimizerKind::adam) {
    state.adam.steps = r.number<int64_t>("adam.steps");
    state.adam.m = {r.finite_tensor("adam.m")};
    state.adam.v = {r.finite_tensor("adam.v")};
    const auto v = state.adam.v[0].values();
    NST_CHECK(
        state.adam.steps >= 0 && std::all_of(v.begin(), v.end(), [](float x) { return x >= 0; }),
        r.path(), ": the resume file's Adam state is damaged (negative steps or second moments)");
    return state;
  }
  nn::Lbfgs::State& l = state.lbfgs;
  l.iterations = r.number<int64_t>("lbfgs.iterations");
  l.function_evaluations = r.number<int64_t>("lbfgs.function_evaluations");
  l.t = r.finite_number("lbfgs.t");
  l.prev_loss = r.finite_number("lbfgs.prev_loss");
  l.h_diag = r.finite_number("lbfgs.h_diag");
  l.loss = r.finite_number("lbfgs.loss");
  state.lbfgs_going = r.number<int>("lbfgs.going") != 0;
  l.rho = r.numbers("lbfgs.rho");
  NST_CHECK(std::all_of(l.rho.begin(), l.rho.end(), [](double x) { return std::isfinite(x); }),
            r.path(), ": the resume file's 'lbfgs.rho' holds a value that is not finite");
  l.d = r.finite_tensor("lbfgs.d", false);
  l.prev_flat_grad = r.finite_tensor("lbfgs.prev_flat_grad", false);
  l.flat_grad = r.finite_tensor("lbfgs.flat_grad", false);
  for (std::size_t i = 0; i < l.rho.size(); ++i) {
    l.old_dirs.push_back(r.finite_tensor("lbfgs.y." + std::to_string(i)));
    l.old_steps.push_back(r.finite_tensor("lbfgs.s." + std::to_string(i)));
  }
  return state;
}

std::string rows_text(const std::vector<IterationLosses>& rows) {
  std::string text;
  for (const IterationLosses& r : rows) {
    text += std::to_string(r.iteration) + "," + std::to_string(r.scale) + "," + exact(r.total) +
            "," + exact(r.content) + "," + exact(r.style) + "," + exact(r.tv) + "\n";
  }
  return text;
}

std::vector<IterationLosses> read_rows(const Reader& r) {
  std::vector<IterationLosses> rows;
  for (const std::string& line : split(r.text("rows"), '\n')) {
    if (line.empty()) continue;
    std::vector<std::string> f = split(line, ',');
    if (r.version() == kVersion1 && f.size() == 5) f.insert(f.begin() + 1, "1");
    NST_CHECK(f.size() == 6, r.path(), ": a malformed loss row '", line, "'");
    rows.push_back({.iteration = r.number<int>("rows", f[0]),
                    .scale = r.number<int>("rows", f[1]),
                    .total = r.number<double>("rows", f[2]),
                    .content = r.number<double>("rows", f[3]),
                    .style = r.number<double>("rows", f[4]),
                    .tv = r.number<double>("rows", f[5])});
  }
  return rows;
}

}  // namespace

void write_resume_file(const std::string& path, const ResumeFile& resume) {
  Writer w;
  w.put("format", kFormat);
  w.put("version", std::to_string(kVersion));
  write_settings(w, resume.settings);
  write_state(w, resume.state);
  w.put("rows", rows_text(resume.rows));
  for (const auto& [name, digest] : resume.fingerprints) w.put("input." + name, digest);
  for (const auto& [key, value] : resume.extra) w.put("extra." + key, value);
  write_safetensors(path, w.tensors, w.metadata);
}

ResumeFile read_resume_file(const std::string& path) {
  const Reader r(path);
  NST_CHECK(r.has("format") && r.text("format") == kFormat, path,
            ": not an nst resume file (no format = nst-resume in its metadata)");
  const int version = r.version_number();
  NST_CHECK(version >= 1 && version <= kVersion, path, ": resume file version ", r.version(),
            "; this nst reads versions 1 to ", kVersion);
  ResumeFile resume;
  resume.settings = read_settings(r);
  resume.state = read_state(r, resume.settings.optimizer);
  resume.rows = read_rows(r);
  const int64_t iterations = int64_t{resume.state.earlier_iterations} + resume.state.iteration;
  NST_CHECK(static_cast<int64_t>(resume.rows.size()) == iterations, path, ": ", resume.rows.size(),
            " loss rows for ", iterations, " iterations");
  for (auto row = resume.rows.end() - resume.state.iteration; row != resume.rows.end(); ++row)
    resume.state.scale_totals.push_back(row->total);
  for (const auto& [key, value] : r.metadata()) {
    if (key.starts_with("input.")) resume.fingerprints.emplace_back(key.substr(6), value);
    if (key.starts_with("extra.")) resume.extra.emplace_back(key.substr(6), value);
  }
  return resume;
}

std::string fingerprint(const nn::Module& model) {
  Sha256 hash;
  for (const auto& [name, parameter] : model.named_parameters()) {
    hash.update({reinterpret_cast<const uint8_t*>(name.data()), name.size() + 1});  // with its NUL
    const auto values = parameter.value().values();
    hash.update({reinterpret_cast<const uint8_t*>(values.data()), values.size_bytes()});
  }
  return hash.hex_digest();
}

void check_state_fits(const RunState& state, const PreparedJob& job, const std::string& path) {
  const int count = static_cast<int>(job.scales.size());
  NST_CHECK(state.scale < count, path, ": the saved run is at scale ", state.scale + 1,
            ", but its settings give ", count, count == 1 ? " scale" : " scales");
  int earlier = 0;
  for (int k = 0; k < state.scale; ++k) earlier += job.scales[k].iterations;
  const PreparedScale& scale = job.scales[state.scale];
  NST_CHECK(state.iteration <= scale.iterations && state.earlier_iterations <= earlier, path,
            ": the saved run is at iteration ", state.iteration, " of scale ", state.scale + 1,
            " after ", state.earlier_iterations, " earlier ones, beyond the ", scale.iterations,
            " and ", earlier, " its settings give");
  const Shape expected = scale.content.shape();
  NST_CHECK(state.image.shape() == expected, path, ": the saved image is ", state.image.shape(),
            ", the run's scale ", state.scale + 1, " is ", expected);
  if (state.optimizer == OptimizerKind::adam) {
    for (const Tensor& moment : {state.adam.m[0], state.adam.v[0]}) {
      NST_CHECK(moment.shape() == expected, path, ": the saved Adam moments are ", moment.shape(),
                ", the image ", expected);
    }
  }
}

}  // namespace nst
