import { MemoryBus } from "../src/index.js";
import { busContract } from "./bus-contract.js";

busContract("MemoryBus", { create: async () => new MemoryBus(), redeliveryMs: 1_000 });
