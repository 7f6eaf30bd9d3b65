"""Tools shared by the tests and the benchmarks: spoken test audio, levels and noise, a virtual sound card."""
