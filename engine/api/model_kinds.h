// The model families the workbench trains, as the contract knows them: each one's name, the data
// it trains on and what it is. The engine's model registry builds them; the schema's applies_to
// lists fields by these names.
#pragma once

#include <string>
#include <vector>

namespace wb::api {

struct ModelKind {
    std::string name;      ///< model.kind value: "dcgan"
    std::string data;      ///< the data.name it trains on: "fashion_mnist"
    std::string family;    ///< "gan", "vae" or "lm": runs of one family compare in meaning
    std::string deployed;  ///< the network a user deploys: "g", "vae", "gpt"
};

/// Every model kind, in the order the UI lists them.
const std::vector<ModelKind>& model_kinds();
/// nullptr for an unknown name.
const ModelKind* find_model_kind(const std::string& name);
/// The names, in order.
std::vector<std::string> model_kind_names();

}  // namespace wb::api
