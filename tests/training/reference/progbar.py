# Expected Progbar strings for tests/training/test_progbar.cpp, from a
# transcription of tf.keras 2's Progbar.update (keras/utils/generic_utils.py)
# driven by a fake clock:  /usr/bin/python3 tests/training/reference/progbar.py
# The only change: the "\b" * width that Keras writes before "\r" is dropped
# (nabla writes "\r" alone; on a terminal the two look the same).
import numpy as np

class Clock:
    def __init__(self): self.t = 0.0
    def __call__(self): return self.t

class Progbar:
    def __init__(self, target, clock, out, dynamic, verbose=1, stateful=(), width=30, interval=0.05):
        self.target, self.clock, self.out, self.dyn = target, clock, out, dynamic
        self.verbose, self.stateful, self.width, self.interval = verbose, set(stateful), width, interval
        self.unit_name = "step"
        self._total_width = 0; self._seen_so_far = 0; self._values = {}; self._values_order = []
        self._start = clock(); self._last_update = -1e9
        self._time_at_epoch_start = self._start; self._time_at_epoch_end = None; self._time_after_first_step = None

    def update(self, current, values=None, finalize=None):
        if finalize is None:
            finalize = False if self.target is None else current >= self.target
        for k, v in values or []:
            if k not in self._values_order: self._values_order.append(k)
            if k not in self.stateful:
                b = max(current - self._seen_so_far, 1)
                if k not in self._values: self._values[k] = [v * b, b]
                else: self._values[k][0] += v * b; self._values[k][1] += b
            else:
                self._values[k] = [v, 1]
        self._seen_so_far = current
        message = ""
        now = self.clock()
        info = f" - {now - self._start:.0f}s"
        if current == self.target: self._time_at_epoch_end = now
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize: return
            prev_total_width = self._total_width
            message += "\r" if self.dyn else "\n"
            if self.target is not None:
                numdigits = int(np.log10(self.target)) + 1
                bar = ("%" + str(numdigits) + "d/%d [") % (current, self.target)
                prog = float(current) / self.target
                prog_width = int(self.width * prog)
                if prog_width > 0:
                    bar += "=" * (prog_width - 1)
                    bar += ">" if current < self.target else "="
                bar += "." * (self.width - prog_width) + "]"
            else:
                bar = "%7d/Unknown" % current
            self._total_width = len(bar)
            message += bar
            tpu = self._estimate(current, now)
            if self.target is None or finalize:
                info += self._format_time(tpu, self.unit_name)
            else:
                eta = tpu * (self.target - current)
                if eta > 3600: f = "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
                elif eta > 60: f = "%d:%02d" % (eta // 60, eta % 60)
                else: f = "%ds" % eta
                info = f" - ETA: {f}"
            for k in self._values_order:
                info += f" - {k}:"
                avg = np.mean(self._values[k][0] / max(1, self._values[k][1]))
                info += f" {avg:.4f}" if abs(avg) > 1e-3 else f" {avg:.4e}"
            self._total_width += len(info)
            if prev_total_width > self._total_width: info += " " * (prev_total_width - self._total_width)
            if finalize: info += "\n"
            self.out.append(message + info)
        elif self.verbose == 2:
            if finalize:
                numdigits = int(np.log10(self.target)) + 1
                info = ("%" + str(numdigits) + "d/%d") % (current, self.target) + info
                for k in self._values_order:
                    info += f" - {k}:"
                    avg = np.mean(self._values[k][0] / max(1, self._values[k][1]))
                    info += f" {avg:.4f}" if avg > 1e-3 else f" {avg:.4e}"
                if self._time_at_epoch_end:
                    tpe = self._time_at_epoch_end - self._time_at_epoch_start
                    self._time_at_epoch_start = now; self._time_at_epoch_end = None
                    info += " -" + self._format_time(tpe, "epoch")
                    info += " -" + self._format_time(tpe / self.target, self.unit_name)
                    info += "\n"
                self.out.append(info)
        self._last_update = now

    def _format_time(self, t, unit):
        if t >= 1 or t == 0: return f" {t:.0f}s/{unit}"
        if t >= 1e-3: return f" {t * 1000.0:.0f}ms/{unit}"
        return f" {t * 1000000.0:.0f}us/{unit}"

    def _estimate(self, current, now):
        if not current: return 0
        if self._time_after_first_step is not None and current > 1:
            t = (now - self._time_after_first_step) / (current - 1)
        else:
            t = (now - self._start) / current
        if current == 1: self._time_after_first_step = now
        return t


def fit(verbose, dynamic):
    """ProgbarLogger over fit(epochs=2, steps=12): batch b ends at 0.04 * (b + 1) s
    (0.5 s for the first batch), the epoch's logs add validation."""
    clock, out = Clock(), []
    for epoch in range(2):
        clock.t = 100.0 * epoch
        if verbose: out.append(f"Epoch {epoch + 1}/2\n")
        bar = Progbar(12, clock, out, dynamic, verbose=verbose, stateful=("loss", "accuracy", "val_loss", "val_accuracy"))
        for b in range(12):
            clock.t = 100.0 * epoch + 0.5 + 0.04 * b
            logs = [("loss", 0.9 / (b + 1) + epoch * 0.1), ("accuracy", 0.5 + 0.04 * b)]
            if verbose == 1: bar.update(b + 1, logs, finalize=False)
        clock.t += 0.25  # validation
        bar.update(12, logs + [("val_loss", 0.0004 + epoch), ("val_accuracy", 0.875)], finalize=True)
    return "".join(out)


for verbose, dyn in ((1, True), (1, False), (2, False)):
    print(f"verbose {verbose} dynamic {dyn}:")
    print(repr(fit(verbose, dyn)))

# ETA formats and averaging of non-stateful values.
clock, out = Clock(), []
bar = Progbar(10000, clock, out, True)
clock.t = 2.0; bar.update(1, [("x", 2.0)])
clock.t = 3.0; bar.update(3, [("x", 5.0)])
clock.t = 4.0; bar.update(4, [("x", -0.0005)])
clock.t = 1000.0; bar.update(5, [])
print(repr("".join(out)))
clock, out = Clock(), []
bar = Progbar(None, clock, out, True)
clock.t = 0.5; bar.update(7, [("loss", 1.25)])
clock.t = 0.75; bar.update(9, [("loss", 1.0)], finalize=True)
print(repr("".join(out)))
