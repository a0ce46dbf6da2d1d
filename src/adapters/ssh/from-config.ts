import type { ClusterConfig } from "../../config/schema.js";
import type { Logger } from "../../log.js";
import { createSshRunner, type SshRunner } from "./runner.js";

/**
 * The SSH runner for a cluster's `ssh:` section, or undefined when it has none (SSH-only features are off then).
 * `host` picks a node (disk imports must run on the node that owns the storage); the default is `ssh.host`,
 * else the host of the first API endpoint.
 */
export function sshRunnerForCluster(cluster: ClusterConfig, opts: { host?: string; logger?: Logger; timeoutMs?: number } = {}): SshRunner | undefined {
  const ssh = cluster.ssh;
  if (!ssh) return undefined;
  const host = opts.host ?? ssh.host ?? new URL(cluster.api.endpoints[0]!).hostname.replace(/^\[(.*)\]$/, "$1");
  return createSshRunner({
    host,
    port: ssh.port,
    user: ssh.user,
    privateKey: ssh.privateKey,
    knownHosts: ssh.knownHosts,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
}
