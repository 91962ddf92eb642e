/** `--kube-qps` and `--kube-burst`: the kubernetes runner's client-side limit of API writes. */
import { DEFAULT_KUBE_RATE, isValidRate, type TokenRate } from "../runners/kubernetes/token-bucket.js";

/** The flags and variables resolveKubeRate reads. */
export interface KubeRateSettings {
  qps: string | undefined;
  burst: string | undefined;
}

/**
 * The rate from `--kube-qps` (writes a second, > 0) and `--kube-burst` (whole, >= 1), each defaulting
 * to DEFAULT_KUBE_RATE's; the message of a bad value otherwise.
 */
export function resolveKubeRate(settings: KubeRateSettings): TokenRate | { error: string } {
  const qps = settings.qps === undefined ? DEFAULT_KUBE_RATE.qps : Number(settings.qps);
  const burst = settings.burst === undefined ? DEFAULT_KUBE_RATE.burst : Number(settings.burst);
  const rate = { qps, burst };
  if (settings.qps?.trim() === "" || !isValidRate({ qps, burst: 1 }))
    return { error: `--kube-qps ${settings.qps ?? ""}: must be a number of writes a second above 0` };
  if (settings.burst?.trim() === "" || !isValidRate(rate))
    return { error: `--kube-burst ${settings.burst ?? ""}: must be a whole number of at least 1` };
  return rate;
}
