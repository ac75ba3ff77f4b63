"""Video calls (视频调度): WebRTC between the center, streets, communities and grid workers,
signalled over a WebSocket through the pub/sub, every call recorded and audited."""
