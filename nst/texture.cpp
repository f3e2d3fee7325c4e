#include "nst/texture.h"

#include <algorithm>

namespace nst {

Job texture_job(std::vector<ImageSource> styles, ImageSize size, JobSettings settings) {
  if (size.width < 1 || size.height < 1) {
    throw SettingError("size", "a texture's size must be positive, got " + to_string(size));
  }
  if (settings.preserve_colors != ColorMode::none) {
    throw SettingError("preserve_colors",
                       "a texture has no photo whose colours to keep; leave out preserve_colors");
  }
  settings.size = std::max(size.width, size.height);
  settings.content_layers.clear();
  settings.init = InitKind::noise;
  Tensor canvas(Shape{1, 3, size.height, size.width});
  canvas.fill(0.5f);
  return Job{.content = ImageSource::image(std::move(canvas), kTextureCanvas),
             .styles = std::move(styles),
             .init_image = {},
             .settings = std::move(settings),
             .style_masks = {},
             .style_source_masks = {}};
}

}  // namespace nst
