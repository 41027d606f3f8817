#include "ui/run_trace.h"

#include <algorithm>

#include "storage/run_store.h"

namespace wb::ui {
namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

}  // namespace

void RunTrace::append(const api::RunEvent& e) {
    step = std::max(step, e.step);
    wall_s = std::max(wall_s, e.wall_s);
    switch (e.kind) {
        case api::EventKind::Metric: {
            MetricSeries& s = metrics[qs(e.name)];
            s.steps.append(static_cast<double>(e.step));
            s.walls.append(e.wall_s);
            s.values.append(e.value);
            break;
        }
        case api::EventKind::Sample:
            sample = {qs(e.name), QByteArray(e.payload.data(), static_cast<int>(e.payload.size())),
                      e.step};
            ++sampleSerial;
            break;
        case api::EventKind::Status:
            status = e.status;
            statusMessage = qs(e.payload);
            if (!e.payload.empty())
                log.push_back(
                    {e.step, e.status == api::RunStatus::Failed ? "error" : "info", qs(e.payload)});
            break;
        case api::EventKind::Log:
            log.push_back({e.step, qs(e.name), qs(e.payload)});
            break;
        case api::EventKind::Checkpoint:
            log.push_back({e.step, QStringLiteral("info"),
                           QStringLiteral("checkpoint written: %1").arg(qs(e.payload))});
            break;
        case api::EventKind::Attribute:  // kept with the run's row; the views read it from there
        case api::EventKind::Unset:
            break;
    }
}

RunTrace RunTrace::load(const storage::RunStore& store, int64_t id) {
    RunTrace t;
    t.id = id;
    const auto row = store.get_run(id);
    if (!row) return t;
    t.name = qs(row->name);
    t.model = qs(row->model);
    t.configJson = qs(row->config_json);
    t.envJson = qs(row->env_json);
    t.status = row->status;
    t.statusMessage = qs(row->error);
    t.step = row->steps_done;
    t.totalSteps = row->total_steps;
    t.wall_s = row->wall_s;
    for (const auto& name : store.metric_names(id)) {
        MetricSeries& s = t.metrics[qs(name)];
        const auto points = store.metrics(id, name);
        s.steps.reserve(static_cast<int>(points.size()));
        s.walls.reserve(static_cast<int>(points.size()));
        s.values.reserve(static_cast<int>(points.size()));
        for (const auto& p : points) {
            s.steps.append(static_cast<double>(p.step));
            s.walls.append(p.wall_s);
            s.values.append(p.value);
        }
    }
    if (const auto sample = store.latest_sample(id)) {
        t.sample = {qs(sample->kind),
                    QByteArray(sample->data.data(), static_cast<int>(sample->data.size())),
                    sample->step};
        t.sampleSerial = 1;
    }
    for (const auto& line : store.logs(id))
        t.log.push_back({line.step, qs(line.level), qs(line.text)});
    if (!row->error.empty() && t.status == api::RunStatus::Failed)
        t.log.push_back({t.step, QStringLiteral("error"), qs(row->error)});
    return t;
}

}  // namespace wb::ui
