#!/usr/bin/env python3
"""The engine's models and training steps written as a plain PyTorch eager script.

Same layers, shapes, losses, optimizer, batch and threads as engine/models and engine/train
(the run config comes from the engine's own stored run), so steps/s can be compared one to one.
Prints one JSON object: steady-state steps/s measured between the end of step `warmup` and the
end of the last step, the same way bench/run reads the engine's per-step wall clock.

Under torchrun (WORLD_SIZE > 1) it is PyTorch DDP on Gloo: train.batch_size is the global
batch, each rank trains on batch / WORLD_SIZE with its modules in DistributedDataParallel
(bucket_cap_mb = dist.bucket_mb), and rank 0 prints. Batch norm stays per rank: PyTorch's
SyncBatchNorm runs on CUDA only.
"""
import argparse
import contextlib
import gzip
import json
import math
import os
import resource
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

FASHION_DIR = "/usr/share/datasets/fashion-mnist"
FORTUNES_DIR = "/usr/share/games/fortunes"


# ---- models (engine/models/gan_models.cpp, engine/models/gpt.cpp) ----


class MlpGenerator(nn.Module):
    def __init__(self, latent, width, layers, data_dim=2):
        super().__init__()
        mods, d = [], latent
        for _ in range(layers):
            mods += [nn.Linear(d, width), nn.ReLU()]
            d = width
        mods.append(nn.Linear(d, data_dim))
        self.net = nn.Sequential(*mods)

    def forward(self, z):
        return self.net(z)


class MlpDiscriminator(nn.Module):
    def __init__(self, width, layers, pack, data_dim=2):
        super().__init__()
        mods, d = [], data_dim * pack
        for _ in range(layers):
            mods += [nn.Linear(d, width), nn.LeakyReLU(0.2)]
            d = width
        mods.append(nn.Linear(d, 1))
        self.net = nn.Sequential(*mods)
        self.pack = pack

    def forward(self, x):
        return self.net(x.reshape(x.size(0) // self.pack, -1)).squeeze(1)


class DcGenerator(nn.Module):
    def __init__(self, latent, w, channels=1):
        super().__init__()
        self.latent = latent

        def up(i, o, k, s, p):
            return nn.ConvTranspose2d(i, o, k, stride=s, padding=p, bias=False)

        self.net = nn.Sequential(
            up(latent, w * 4, 4, 1, 0), nn.BatchNorm2d(w * 4), nn.ReLU(True),
            up(w * 4, w * 2, 4, 2, 1), nn.BatchNorm2d(w * 2), nn.ReLU(True),
            up(w * 2, w, 4, 2, 1), nn.BatchNorm2d(w), nn.ReLU(True),
            up(w, channels, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.net(z.view(z.size(0), self.latent, 1, 1))


class DcDiscriminator(nn.Module):
    def __init__(self, w, pack, channels=1):
        super().__init__()
        self.pack = pack

        def down(i, o, k, s, p):
            return nn.Conv2d(i, o, k, stride=s, padding=p, bias=False)

        self.net = nn.Sequential(
            down(channels * pack, w, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),
            down(w, w * 2, 4, 2, 1), nn.BatchNorm2d(w * 2), nn.LeakyReLU(0.2, inplace=True),
            down(w * 2, w * 4, 4, 2, 1), nn.BatchNorm2d(w * 4), nn.LeakyReLU(0.2, inplace=True),
            down(w * 4, 1, 4, 1, 0))

    def forward(self, x):
        return self.net(x.reshape(x.size(0) // self.pack, -1, x.size(2), x.size(3))).view(-1)


class CausalSelfAttention(nn.Module):
    def __init__(self, width, heads, dropout):
        super().__init__()
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.drop = nn.Dropout(dropout)
        self.heads = heads

    def forward(self, x):
        B, T, C = x.shape
        hd = C // self.heads
        q, k, v = self.qkv(x).split(C, 2)
        q = q.view(B, T, self.heads, hd).transpose(1, 2)
        k = k.view(B, T, self.heads, hd).transpose(1, 2)
        v = v.view(B, T, self.heads, hd).transpose(1, 2)
        att = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
        att = torch.softmax(att.masked_fill(mask, float("-inf")), -1)
        y = torch.matmul(att, v).transpose(1, 2).contiguous().view(B, T, C)
        return self.drop(self.proj(y))


class GptBlock(nn.Module):
    def __init__(self, width, heads, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = CausalSelfAttention(width, heads, dropout)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(),
                                 nn.Linear(4 * width, width), nn.Dropout(dropout))

    def forward(self, x):
        h = x + self.attn(self.ln1(x))
        return h + self.mlp(self.ln2(h))


class Gpt(nn.Module):
    def __init__(self, vocab, context, width, layers, heads, dropout):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(context, width)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([GptBlock(width, heads, dropout) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(width)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if "ln" in name:
                    continue  # LayerNorm keeps 1/0
                if name.endswith("bias"):
                    p.zero_()
                else:
                    p.normal_(0.0, 0.02)

    def forward(self, ids):
        T = ids.size(1)
        positions = torch.arange(T, dtype=torch.long, device=ids.device)
        x = self.drop(self.tok(ids) + self.pos(positions))
        for b in self.blocks:
            x = b(x)
        return torch.matmul(self.ln_f(x), self.tok.weight.t())


def dcgan_init(module):
    """DCGAN paper initialisation: conv weights N(0, 0.02), batch-norm weights N(1, 0.02)."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                m.weight.normal_(0.0, 0.02)
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.normal_(1.0, 0.02)
                m.bias.zero_()


# ---- data (engine/data) ----


def mixture_centers(modes, radius):
    angles = torch.arange(modes, dtype=torch.float64) * (2.0 * math.pi / modes)
    return (torch.stack([angles.cos(), angles.sin()], 1) * radius).float()


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    _, n, h, w = struct.unpack(">IIII", data[:16])
    return torch.frombuffer(bytearray(data[16:16 + n * h * w]), dtype=torch.uint8).view(n, h, w)


def fashion_images(folder):
    folder = folder or FASHION_DIR
    for name in ("train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"):
        if os.path.isfile(os.path.join(folder, name)):
            images = read_idx(os.path.join(folder, name))
            break
    else:
        sys.exit(f"{folder}: no train-images-idx3-ubyte(.gz); install dataset-fashion-mnist")
    h, w = images.shape[1:]
    top, left = (32 - h) // 2, (32 - w) // 2
    scaled = images.float().div_(127.5).sub_(1.0).unsqueeze(1)
    return F.pad(scaled, (left, 32 - w - left, top, 32 - h - top), value=-1.0)


def text_ids(path):
    """Byte-level ids of the corpus, read with the engine's rules (engine/data/text_corpus.cpp)."""
    recursive = bool(path)  # the default fortunes folder is read flat, a user folder recursively
    path = path or FORTUNES_DIR
    files = [path]
    if os.path.isdir(path):
        files = []
        for root, dirs, names in os.walk(path):
            dirs[:] = [d for d in dirs if not d.startswith(".")] if recursive else []
            for n in names:
                p = os.path.join(root, n)
                if not (n.startswith(".") or n.endswith(".dat") or os.path.islink(p)):
                    files.append(p)
        files.sort()
    text = bytearray()
    for p in files:
        with open(p, "rb") as f:
            b = f.read()
        if b"\0" in b:
            continue
        text += b
        if text and text[-1:] != b"\n":
            text += b"\n"
    vocab = sorted(set(text))
    lut = torch.zeros(256, dtype=torch.long)
    lut[torch.tensor(vocab)] = torch.arange(len(vocab))
    ids = lut[torch.frombuffer(text, dtype=torch.uint8).long()]
    return ids, len(vocab)


# ---- training steps (engine/train/*_trainer.cpp) ----


def make_optimizer(params, o):
    if o.get("grad_clip", 0) > 0 or o.get("schedule", "constant") != "constant":
        sys.exit("optim.grad_clip and optim.schedule: not in this reference script; "
                 "benchmark with the presets' constant rate and no clipping")
    extra = {"eps": o["eps"]} if o.get("eps", 0) > 0 else {}  # 0: the optimizer's default
    if o["name"] == "sgd":
        return torch.optim.SGD(params, lr=o["lr"], momentum=o["momentum"],
                               nesterov=o.get("nesterov", False), weight_decay=o["weight_decay"])
    if o["name"] == "adam":
        return torch.optim.Adam(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]),
                                weight_decay=o["weight_decay"], **extra)
    if o["name"] == "adamw":
        return torch.optim.AdamW(params, lr=o["lr"], betas=(o["beta1"], o["beta2"]),
                                 weight_decay=o["weight_decay"], **extra)
    sys.exit(f"optim.name {o['name']}: no PyTorch reference for it in this script")


class Amp:
    """precision: fp32 (no autocast), bf16 (autocast), fp16 (autocast + GradScaler, CUDA)."""

    def __init__(self, precision, device):
        self.device = device
        self.dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
        self.scaler = None
        if precision == "fp16":
            if device.type != "cuda":
                sys.exit("precision fp16 needs CUDA; use bf16 on a CPU")
            self.scaler = torch.cuda.amp.GradScaler()

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.dtype)

    def step(self, loss, opt):
        if self.scaler is None:
            loss.backward()
            opt.step()
        else:
            self.scaler.scale(loss).backward()
            self.scaler.step(opt)
            self.scaler.update()


WORLD = int(os.environ.get("WORLD_SIZE", "1"))


def parallel(module, cfg):
    """The module as DDP under torchrun, else itself."""
    if WORLD == 1:
        return module
    bucket = cfg.get("dist", {}).get("bucket_mb", 25)
    # broadcast_buffers=False: with it on, DDP overwrites batch norm's running stats in place at
    # every forward, which breaks the backward of a GAN's discriminator called twice per step
    # ("modified by an inplace operation"). The engine keeps them equal by synchronising them.
    return nn.parallel.DistributedDataParallel(module, bucket_cap_mb=bucket,
                                               broadcast_buffers=False)


def gan_trainer(cfg, device, amp):
    m, pack = cfg["model"], cfg["gan"]["pack"]
    b = cfg["train"]["batch_size"] // WORLD
    if m["kind"] == "gan_mlp":
        g = MlpGenerator(m["latent_dim"], m["width"], m["layers"])
        d = MlpDiscriminator(m["width"], m["layers"], pack)
        dc = cfg["data"]
        centers = mixture_centers(dc["modes"], dc["radius"])

        def real_batch():
            mode = torch.randint(0, dc["modes"], (b,))
            return centers.index_select(0, mode).add_(torch.randn(b, 2), alpha=dc["std"]).to(device)
    else:
        g = DcGenerator(m["latent_dim"], m["width"])
        d = DcDiscriminator(m["width"], pack)
        dcgan_init(g)
        dcgan_init(d)
        images = fashion_images(cfg["data"]["path"])
        order, pos = torch.randperm(images.size(0)), [0]

        def real_batch():
            if pos[0] + b > order.numel():
                order.copy_(torch.randperm(images.size(0)))
                pos[0] = 0
            idx = order[pos[0]:pos[0] + b]
            pos[0] += b
            return images.index_select(0, idx).to(device)
    g.to(device).train()
    d.to(device).train()
    g, d = parallel(g, cfg), parallel(d, cfg)
    opt_g = make_optimizer(g.parameters(), cfg["optim"])
    opt_d = make_optimizer(d.parameters(), cfg["optim"])
    amp_g, amp_d = amp(), amp()

    def step():
        real = real_batch()
        with amp_g.autocast():
            fake = g(torch.randn(b, m["latent_dim"]).to(device))
        with amp_d.autocast():
            d_real = d(real)
            d_fake = d(fake.detach())
            loss_d = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) +
                      F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        opt_d.zero_grad()
        amp_d.step(loss_d, opt_d)
        with amp_g.autocast():
            d_gen = d(fake)
            loss_g = F.binary_cross_entropy_with_logits(d_gen, torch.ones_like(d_gen))
        opt_g.zero_grad()
        amp_g.step(loss_g, opt_g)
        # The engine reports these four numbers every step; a script that logs does the same.
        return [loss_d.item(), loss_g.item(), torch.sigmoid(d_real).mean().item(),
                torch.sigmoid(d_fake).mean().item()]

    return step


def lm_trainer(cfg, device, amp):
    m = cfg["model"]
    b = cfg["train"]["batch_size"] // WORLD
    t = m["context"]
    ids, vocab = text_ids(cfg["data"]["path"])
    val = min(ids.numel() - 1, round(ids.numel() * cfg["data"]["val_fraction"]))
    train_ids = ids[: ids.numel() - val].clone()
    gpt = Gpt(vocab, t, m["width"], m["layers"], m["heads"], m["dropout"]).to(device).train()
    gpt = parallel(gpt, cfg)
    opt = make_optimizer(gpt.parameters(), cfg["optim"])
    scaler = amp()

    def step():
        starts = torch.randint(0, train_ids.numel() - t, (b,))
        index = (starts.unsqueeze(1) + torch.arange(t + 1)).view(-1)
        windows = train_ids.index_select(0, index).view(b, t + 1)
        x, y = windows[:, :t].contiguous(), windows[:, 1:].contiguous()
        with scaler.autocast():
            logits = gpt(x.to(device))
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.to(device).reshape(-1))
        opt.zero_grad()
        scaler.step(loss, opt)
        return [loss.item()]

    return step, vocab


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", required=True, help="the engine run's config JSON")
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--warmup", type=int, required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"])
    args = ap.parse_args()
    with open(args.config) as f:
        cfg = json.load(f)
    torch.set_num_threads(args.threads)
    rank = 0
    if WORLD > 1:
        import torch.distributed as dist
        dist.init_process_group("gloo")
        rank = dist.get_rank()
    # Each rank its own batches; DDP gives every rank rank 0's initial weights.
    torch.manual_seed(cfg["train"]["seed"] + rank)
    device = torch.device(args.device)

    def amp():
        return Amp(args.precision, device)

    info = {}
    if cfg["model"]["kind"] in ("gan_mlp", "dcgan"):
        step = gan_trainer(cfg, device, amp)
    elif cfg["model"]["kind"] == "gpt":
        step, info["vocab"] = lm_trainer(cfg, device, amp)
    else:
        sys.exit(f"model.kind {cfg['model']['kind']}: no PyTorch reference in this script")

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    t_warm = None
    for i in range(1, args.steps + 1):
        losses = step()
        if not all(math.isfinite(v) for v in losses):
            sys.exit(f"step {i}: non-finite loss {losses}")
        if i == args.warmup:
            sync()
            t_warm = time.perf_counter()
    sync()
    elapsed = time.perf_counter() - t_warm
    out = {"steps_per_s": (args.steps - args.warmup) / elapsed, "threads": args.threads,
           "torch": torch.__version__, "last_losses": losses, "world_size": WORLD,
           "samples_per_s": (args.steps - args.warmup) / elapsed * cfg["train"]["batch_size"],
           **info}
    if device.type == "cuda":
        out["peak_bytes"] = torch.cuda.max_memory_allocated()
    else:
        out["peak_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if rank == 0:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
