// Which feature extractor measured a run's quality/fid and quality/kid, as its environment record
// keeps it ("fid_extractor"), so every view can show it beside the numbers and flag mismatches.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace wb::api {

struct FidExtractorInfo {
    std::string checksum;  ///< CRC-32 of its weights: FIDs compare only when these match
    double test_accuracy = 0;
    bool canonical = false;  ///< trained on Fashion-MNIST's training set
    std::string path;
};

/// The extractor recorded in a run's environment JSON; nullopt when the run measured no FID
/// (or predates the record).
std::optional<FidExtractorInfo> fid_extractor_of(const std::string& env_json);

/// "extractor 3e75546b, 88.21% test accuracy" for a label next to an FID.
std::string describe(const FidExtractorInfo& info);

/// Empty when the runs' FIDs are comparable (all recorded with one extractor, or at most one
/// run has FID); else one sentence naming the different extractors.
std::string fid_extractor_mismatch(const std::vector<std::string>& env_jsons);

}  // namespace wb::api
