// The table of model kinds.
#include "engine/api/model_kinds.h"

namespace wb::api {

const std::vector<ModelKind>& model_kinds() {
    static const std::vector<ModelKind> kinds = {{"gan_mlp", "mixture2d", "gan", "g"},
                                                 {"dcgan", "fashion_mnist", "gan", "g"},
                                                 {"progan", "fashion_mnist", "gan", "g"},
                                                 {"vae", "fashion_mnist", "vae", "vae"},
                                                 {"gpt", "text", "lm", "gpt"}};
    return kinds;
}

const ModelKind* find_model_kind(const std::string& name) {
    for (const auto& k : model_kinds())
        if (k.name == name) return &k;
    return nullptr;
}

std::vector<std::string> model_kind_names() {
    std::vector<std::string> names;
    for (const auto& k : model_kinds()) names.push_back(k.name);
    return names;
}

}  // namespace wb::api
