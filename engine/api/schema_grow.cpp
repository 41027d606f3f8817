// The field table's growth schedule of the language model (grow_schedule.h, engine/grow).
#include "engine/api/schema_build.h"

namespace wb::api::schema_build {

void add_grow_fields(std::vector<FieldSpec>& s) {
    using T = FieldType;
    const char* section = "Growing networks";
    s.push_back(make(WB_BIND(grow.at_steps, std::string), T::Text, section, "Grow after steps",
                     "GPT only: the steps after which the model grows, separated by commas "
                     "(e.g. 300,600). Empty: the model keeps the size set under Model, which is "
                     "its size before the first growth. Each growth is logged with the loss on "
                     "a fixed batch just before and after it."));
    s.push_back(make(WB_BIND(grow.layers, std::string), T::Text, section, "Blocks after growth",
                     "Transformer blocks after each growth, one per step above (e.g. 3,4); "
                     "empty: the depth stays. New blocks go on top; what they start from is the "
                     "method below."));
    s.push_back(make(WB_BIND(grow.width, std::string), T::Text, section, "Width after growth",
                     "Embedding width after each growth, one per step above, each a multiple of "
                     "the width before it (e.g. 128 after 64); empty: the width stays. Widening "
                     "copies every unit and halves what the copies pass on (Net2Net), with as "
                     "many more heads of the same size, so the function stays the same; the "
                     "optimizer's moments are copied too, the first halved and the second "
                     "quartered for a doubling (Staged Training)."));
    s.push_back(choice(
        make(WB_BIND(grow.method, std::string), T::Choice, section, "New blocks start as",
             "identity: freshly initialised blocks whose output projections start at zero, so "
             "each is an exact identity in the pre-LayerNorm GPT and the loss does not move "
             "(Net2Net's deepening); their optimizer state starts at zero. stack: copies of the "
             "trained blocks below, with their optimizer state (progressive stacking, Gong et "
             "al. 2019): a better start for the new blocks, but the function changes, so the "
             "loss jumps at the growth and recovers."),
        {"identity", "stack"}));
    s.push_back(ranged(
        make(WB_BIND(grow.noise, double), T::Float, section, "Widening noise",
             "Standard deviation of the noise added to the widened layers' weights. Exact "
             "copies get exactly the same gradients and stay copies for ever, which buys "
             "nothing; a little noise lets them learn apart at the cost of a tiny change in "
             "the function. 0: exact copies (for checking that widening preserves the model)."),
        0.0, 0.1));
}

}  // namespace wb::api::schema_build
