// The field table's distillation settings (issue 16): a trained GPT from the history teaches the
// run's GPT, so a smaller model learns more from the same steps.
#include "engine/api/schema_build.h"

namespace wb::api::schema_build {

void add_distill_fields(std::vector<FieldSpec>& s) {
    using T = FieldType;
    s.push_back(ranged(
        make(WB_BIND(distill.teacher, int64_t), T::Int, "Distillation", "Teacher run",
             "0: off. Otherwise the id of a GPT run in this history (its newest checkpoint) "
             "that teaches this run's model: at every step the teacher, frozen and in "
             "inference mode, predicts the same windows and the student also learns to match "
             "its softened next-character distribution. A smaller student (model.width, "
             "model.layers) learns more per step than from the data alone; costs the "
             "teacher's forward pass every step (it counts in the step time). The teacher must "
             "have been trained on the same text (the same characters) with a context at least "
             "model.context."),
        0, 1'000'000'000));
    s.push_back(ranged(
        make(WB_BIND(distill.alpha, double), T::Float, "Distillation", "Teacher weight (alpha)",
             "The loss is alpha x T^2 x KL(teacher || student) + (1 - alpha) x the "
             "cross-entropy with the data, as Hugging Face's distiller mixes them (torchdistill "
             "writes the mix the other way round: there alpha weights the data). 1: the teacher "
             "alone; 0: the data alone (the teacher only measured). loss/train stays the data's "
             "cross-entropy, so runs with and without a teacher compare."),
        0.0, 1.0));
    s.push_back(ranged(
        make(WB_BIND(distill.temperature, double), T::Float, "Distillation", "Temperature (T)",
             "Both models' logits are divided by T before the softmax: above 1 the teacher's "
             "distribution is flatter, so the student also learns how likely the teacher finds "
             "the other characters. The KL term is multiplied by T^2 so that its gradients keep "
             "their size as T changes (Hinton et al. 2015). Hugging Face's default is 2."),
        0.1, 20.0));
}

}  // namespace wb::api::schema_build
