#include "nst/loss_log.h"

#include <cstdio>

#include "files/atomic_write.h"

namespace nst {

std::string loss_log_csv(const std::vector<IterationLosses>& rows, bool with_scale,
                         const std::string& ending) {
  std::string text = with_scale ? "iteration,scale,total,content,style,tv\n"
                                : "iteration,total,content,style,tv\n";
  char line[160];
  for (const IterationLosses& r : rows) {
    const std::string scale = with_scale ? std::to_string(r.scale) + "," : "";
    std::snprintf(line, sizeof line, "%d,%s%.9g,%.9g,%.9g,%.9g\n", r.iteration, scale.c_str(),
                  r.total, r.content, r.style, r.tv);
    text += line;
  }
  if (!ending.empty()) text += "# " + ending + "\n";
  return text;
}

void write_loss_log(const std::string& path, const std::vector<IterationLosses>& rows,
                    bool with_scale, const std::string& ending) {
  const std::string text = loss_log_csv(rows, with_scale, ending);
  write_file_atomically(path, [&](std::ostream& out) { out << text; });
}

}  // namespace nst
