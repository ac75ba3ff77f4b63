"""绩效考核: the indicator library, weighted schemes per target type, monthly scores and
rankings, frozen monthly snapshots, export."""
