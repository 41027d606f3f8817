// Layer stacks of the GAN networks (Radford et al. 2015 for DCGAN, without the 64x64 stage).
#include "engine/models/gan_models.h"

#include "engine/models/sync_batch_norm.h"

namespace wb::models {

namespace nn = torch::nn;

MlpGeneratorImpl::MlpGeneratorImpl(const MlpGanOptions& o) {
    int64_t in = o.latent_dim();
    for (int64_t i = 0; i < o.layers(); ++i) {
        net->push_back(nn::Linear(in, o.width()));
        net->push_back(nn::ReLU());
        in = o.width();
    }
    net->push_back(nn::Linear(in, o.data_dim()));
    register_module("net", net);
}

torch::Tensor MlpGeneratorImpl::forward(const torch::Tensor& z) {
    return net->forward(z);
}

MlpDiscriminatorImpl::MlpDiscriminatorImpl(const MlpGanOptions& o) : pack(o.pack()) {
    int64_t in = o.data_dim() * o.pack();
    for (int64_t i = 0; i < o.layers(); ++i) {
        net->push_back(nn::Linear(in, o.width()));
        net->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
        in = o.width();
    }
    net->push_back(nn::Linear(in, 1));
    register_module("net", net);
}

torch::Tensor MlpDiscriminatorImpl::forward(const torch::Tensor& x) {
    return net->forward(x.reshape({x.size(0) / pack, -1})).squeeze(1);
}

DcGeneratorImpl::DcGeneratorImpl(const DcganOptions& o) : latent_dim(o.latent_dim()) {
    const int64_t w = o.width();
    auto up = [](int64_t in, int64_t out, int64_t k, int64_t s, int64_t p) {
        return nn::ConvTranspose2d(
            nn::ConvTranspose2dOptions(in, out, k).stride(s).padding(p).bias(false));
    };
    net->push_back(up(o.latent_dim(), w * 4, 4, 1, 0));  // 1 -> 4
    net->push_back(SyncBatchNorm2d(w * 4));
    net->push_back(nn::ReLU(true));
    net->push_back(up(w * 4, w * 2, 4, 2, 1));  // 4 -> 8
    net->push_back(SyncBatchNorm2d(w * 2));
    net->push_back(nn::ReLU(true));
    net->push_back(up(w * 2, w, 4, 2, 1));  // 8 -> 16
    net->push_back(SyncBatchNorm2d(w));
    net->push_back(nn::ReLU(true));
    net->push_back(up(w, o.channels(), 4, 2, 1));  // 16 -> 32
    net->push_back(nn::Tanh());
    register_module("net", net);
}

torch::Tensor DcGeneratorImpl::forward(const torch::Tensor& z) {
    return net->forward(z.view({z.size(0), latent_dim, 1, 1}));
}

DcDiscriminatorImpl::DcDiscriminatorImpl(const DcganOptions& o) : pack(o.pack()) {
    const int64_t w = o.width();
    auto down = [](int64_t in, int64_t out, int64_t k, int64_t s, int64_t p) {
        return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(s).padding(p).bias(false));
    };
    auto lrelu = [] {
        return nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2).inplace(true));
    };
    net->push_back(down(o.channels() * o.pack(), w, 4, 2, 1));  // 32 -> 16
    net->push_back(lrelu());
    net->push_back(down(w, w * 2, 4, 2, 1));  // 16 -> 8
    net->push_back(SyncBatchNorm2d(w * 2));
    net->push_back(lrelu());
    net->push_back(down(w * 2, w * 4, 4, 2, 1));  // 8 -> 4
    net->push_back(SyncBatchNorm2d(w * 4));
    net->push_back(lrelu());
    net->push_back(down(w * 4, 1, 4, 1, 0));  // 4 -> 1
    register_module("net", net);
}

torch::Tensor DcDiscriminatorImpl::forward(const torch::Tensor& x) {
    return net->forward(x.reshape({x.size(0) / pack, -1, x.size(2), x.size(3)})).view({-1});
}

void dcgan_init(torch::nn::Module& m) {
    torch::NoGradGuard no_grad;
    for (auto& mod : m.modules(/*include_self=*/false)) {
        const std::string name = mod->name();
        if (name.find("Conv") != std::string::npos) {
            for (auto& p : mod->named_parameters(false))
                if (p.key() == "weight") torch::nn::init::normal_(p.value(), 0.0, 0.02);
        } else if (name.find("BatchNorm") != std::string::npos) {
            for (auto& p : mod->named_parameters(false)) {
                if (p.key() == "weight") torch::nn::init::normal_(p.value(), 1.0, 0.02);
                if (p.key() == "bias") torch::nn::init::zeros_(p.value());
            }
        }
    }
}

}  // namespace wb::models
