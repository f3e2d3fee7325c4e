// Writes the committed seed corpora of the fuzz targets into fuzz/corpus/<target>/: small valid
// inputs of every kind each target reads, so that fuzzing starts from deep inside the formats.
//   build-fuzz/bin/fuzz_make_seed_corpus fuzz/corpus
// (The weights fixtures in tests/fixtures/weights serve as further seeds; .ci/run passes them.)
#include <cstdio>
#include <filesystem>
#include <fstream>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

#include "nst/image.h"
#include "nst/resume.h"
#include "tensor/random.h"
#include "tests/crafted_checkpoint.h"
#include "weights/safetensors.h"

namespace {

namespace fs = std::filesystem;

void put(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

nst::Tensor picture(int height, int width) {
  nst::Tensor t(nst::Shape{1, 3, height, width});
  nst::Random(7).fill_uniform(t.values(), 0.0f, 1.0f);
  return t;
}

// A progressive JPEG with an EXIF orientation, which write_image does not make.
void progressive_jpeg_with_exif(const std::string& path) {
  jpeg_compress_struct info{};
  jpeg_error_mgr err{};
  info.err = jpeg_std_error(&err);
  jpeg_create_compress(&info);
  FILE* f = std::fopen(path.c_str(), "wb");
  jpeg_stdio_dest(&info, f);
  info.image_width = 12;
  info.image_height = 8;
  info.input_components = 3;
  info.in_color_space = JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_simple_progression(&info);
  jpeg_start_compress(&info, TRUE);
  const uint8_t exif[] = {'E',  'x',  'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0,
                          0x12, 0x01, 3,   0,   1, 0, 0,   0,   6,  0, 0, 0, 0, 0, 0, 0};
  jpeg_write_marker(&info, JPEG_APP0 + 1, exif, sizeof exif);
  std::vector<JSAMPLE> row(12 * 3);
  for (JDIMENSION y = 0; y < info.image_height; ++y) {
    for (std::size_t i = 0; i < row.size(); ++i) row[i] = static_cast<JSAMPLE>(i * 7 + y * 13);
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&info, rows, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::fclose(f);
}

nst::ResumeFile small_resume(nst::OptimizerKind optimizer) {
  nst::ResumeFile r;
  r.settings.optimizer = optimizer;
  r.settings.style_blend = {2, 1};
  r.state.optimizer = optimizer;
  r.state.iteration = 1;
  r.state.image = picture(4, 4);
  const nst::Tensor flat = nst::Tensor::full(nst::Shape{48}, 0.5f);
  if (optimizer == nst::OptimizerKind::adam) {
    r.state.adam = {.steps = 1, .m = {picture(4, 4)}, .v = {picture(4, 4)}};
  } else {
    r.state.lbfgs.iterations = 1;
    r.state.lbfgs.d = flat;
    r.state.lbfgs.flat_grad = flat;
    r.state.lbfgs.old_dirs = {flat};
    r.state.lbfgs.old_steps = {flat};
    r.state.lbfgs.rho = {0.25};
  }
  r.rows = {{.iteration = 1, .scale = 1, .total = 1.5, .content = 0.5, .style = 0.001, .tv = 3}};
  if (optimizer == nst::OptimizerKind::adam) {  // stopped at the second of two scales
    r.settings.scales = 2;
    r.settings.preserve_colors = nst::ColorMode::luminance;
    r.state.scale = 1;
    r.state.earlier_iterations = 1;
    r.rows.push_back({.iteration = 2, .scale = 2, .total = 1, .content = 0.5, .style = 0, .tv = 1});
  }
  r.fingerprints = {{"content", std::string(64, 'a')}};
  r.extra = {{"output", "/tmp/out.png"}};
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path root = argc > 1 ? argv[1] : "fuzz/corpus";
  fs::create_directories(root / "image");
  nst::write_image((root / "image/rgb.png").string(), picture(6, 9));
  nst::write_image((root / "image/baseline.jpg").string(), picture(9, 17), {.jpeg_quality = 50});
  progressive_jpeg_with_exif((root / "image/progressive_exif.jpg").string());

  nst::testing::CraftedTensor t;
  t.storage_numel = 3;
  t.data = std::string(12, '\x01');
  t.shape = {3};
  put(root / "checkpoint/legacy.pth", nst::testing::legacy_checkpoint(t));
  fs::create_directories(root / "checkpoint");
  nst::write_safetensors(
      (root / "checkpoint/two.safetensors").string(),
      {{"features.0.weight", picture(2, 2)}, {"b", nst::Tensor::zeros(nst::Shape{3})}},
      {{"format", "pt"}});
  put(root / "pickle/state_dict.pkl", nst::testing::tensor_dict_pickle(t));
  put(root / "json/header.json",
      R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]}})");
  put(root / "json/values.json", R"([1,-2.5e3,true,null,"\u00e9\ud83d\ude00",{"a":[]}])");
  put(root / "job_options/typical.json",
      R"({"size": 512, "iterations": 300, "style-weight": 1e3, "preserve-colors": "luminance"})");
  put(root / "job_options/lists.json",
      R"({"style-layers": ["relu1_1", "relu2_1"], "style-blend": "2,1", "scales": "auto",)"
      R"( "optimizer": "lbfgs", "init": "noise", "seed": 7, "max-memory": "800M"})");
  put(root / "job_options/refused.json", R"({"output": "/etc/passwd", "threads": 64})");
  fs::create_directories(root / "resume");
  nst::write_resume_file((root / "resume/adam.nstresume").string(),
                         small_resume(nst::OptimizerKind::adam));
  nst::write_resume_file((root / "resume/lbfgs.nstresume").string(),
                         small_resume(nst::OptimizerKind::lbfgs));
  return 0;
}
