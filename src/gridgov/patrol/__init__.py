"""Patrol tracks (巡查轨迹): GPS fixes, track statistics, live positions and duty."""
