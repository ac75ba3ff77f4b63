// 视频调度 page: the call buttons and the incoming-call overlay come from call.js.
import { initCalls } from "./call.js";

initCalls();
