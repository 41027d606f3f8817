#include "ui/compare_samples.h"

#include <algorithm>

#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include "storage/run_store.h"
#include "ui/sample_preview.h"

namespace wb::ui {

CompareSamples::CompareSamples(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    auto* bar = new QHBoxLayout;
    m_step = new QComboBox(this);
    m_step->setToolTip(tr("Every run shows its sample of this step, or its last one before it."));
    m_note = new QLabel(this);
    bar->addWidget(new QLabel(tr("Step"), this));
    bar->addWidget(m_step);
    bar->addWidget(m_note, 1);
    layout->addLayout(bar);
    m_grid = new QGridLayout;
    layout->addLayout(m_grid, 1);
    connect(m_step, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index >= 0) showStep(m_steps.at(static_cast<std::size_t>(index)));
    });
}

void CompareSamples::setRuns(const storage::RunStore* store, const std::vector<RunTrace>& traces,
                             const std::vector<QColor>& colors) {
    m_store = store;
    qDeleteAll(m_previews);
    m_previews.clear();
    m_runs.clear();
    m_steps.clear();
    // Three across, so that images stay large enough to judge.
    for (std::size_t i = 0; i < traces.size(); ++i) {
        auto* p = new SamplePreview(this);
        p->setTitle(QStringLiteral("<span style=\"color:%1\">■</span> #%2 %3")
                        .arg(colors.at(i).name())
                        .arg(traces[i].id)
                        .arg(traces[i].name.toHtmlEscaped()));
        m_grid->addWidget(p, static_cast<int>(i / 3), static_cast<int>(i % 3));
        m_previews.push_back(p);
        m_runs.push_back({traces[i].id, {}});
    }
    const QSignalBlocker blocker(m_step);
    m_step->clear();
}

void CompareSamples::load() {
    m_steps.clear();
    for (Run& r : m_runs) {
        r.samples = m_store ? m_store->samples(r.id) : std::vector<storage::SampleRow>{};
        for (const auto& s : r.samples) m_steps.push_back(s.step);
    }
    std::sort(m_steps.begin(), m_steps.end());
    m_steps.erase(std::unique(m_steps.begin(), m_steps.end()), m_steps.end());
    {
        const QSignalBlocker blocker(m_step);
        const QString kept = m_step->currentText();
        m_step->clear();
        for (int64_t s : m_steps) m_step->addItem(QString::number(s));
        // The step the user picked stays picked; the first time, the newest step.
        const int at = m_step->findText(kept);
        m_step->setCurrentIndex(at >= 0 ? at : m_step->count() - 1);
    }
    m_note->setText(m_steps.empty() ? tr("None of these runs has taken a sample yet.") : QString());
    if (!m_steps.empty()) showStep(m_steps.at(static_cast<std::size_t>(m_step->currentIndex())));
}

void CompareSamples::showStep(int64_t step) {
    for (std::size_t i = 0; i < m_runs.size(); ++i) {
        const auto& samples = m_runs[i].samples;
        // The last sample at or before `step`: runs sample on different schedules.
        auto it =
            std::upper_bound(samples.begin(), samples.end(), step,
                             [](int64_t s, const storage::SampleRow& r) { return s < r.step; });
        if (it == samples.begin()) {
            m_previews[i]->clear();
            continue;
        }
        --it;
        m_previews[i]->showSample({QString::fromStdString(it->kind),
                                   QByteArray(it->data.data(), static_cast<int>(it->data.size())),
                                   it->step});
    }
    const QSignalBlocker blocker(m_step);
    const auto at = std::find(m_steps.begin(), m_steps.end(), step);
    if (at != m_steps.end()) m_step->setCurrentIndex(static_cast<int>(at - m_steps.begin()));
}

}  // namespace wb::ui
