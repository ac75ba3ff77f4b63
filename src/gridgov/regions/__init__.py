"""The territory: region tree (district → street → community → grid), special grids, base layers."""
