import { definePowerCommand } from "../src/commands/define.js";

export default definePowerCommand("reboot");
