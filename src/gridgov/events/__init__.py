"""Events (事件/案件): intake from every channel, located, classified and moved through their
workflow to a checked close."""
