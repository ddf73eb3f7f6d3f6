"""The Discord layer, thin: each command checks input, defers, asks `answers`, renders, sends."""
