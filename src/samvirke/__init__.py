"""Samvirke: public authorities run their information-security work and measure it together."""
