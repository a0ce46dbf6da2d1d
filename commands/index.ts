/** Every `/pve` subcommand, in the order `/pve help` lists them. */
import type { CommandModule } from "../src/commands/types.js";
import help from "./help.js";
import provision from "./provision.js";
import list from "./list.js";
import status from "./status.js";
import start from "./start.js";
import stop from "./stop.js";
import shutdown from "./shutdown.js";
import reboot from "./reboot.js";
import snapshot from "./snapshot.js";
import migrate from "./migrate.js";
import evacuate from "./evacuate.js";
import teardown from "./teardown.js";
import jobs from "./jobs.js";
import cancel from "./cancel.js";
import bind from "./bind.js";
import unbind from "./unbind.js";
import profiles from "./profiles.js";

export const ALL_COMMANDS: readonly CommandModule[] = Object.freeze([
  help,
  provision,
  list,
  status,
  start,
  stop,
  shutdown,
  reboot,
  snapshot,
  migrate,
  evacuate,
  teardown,
  jobs,
  cancel,
  bind,
  unbind,
  profiles,
]);
