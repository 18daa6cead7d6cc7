"""The listening script and the stylesheet, in real browsers."""
