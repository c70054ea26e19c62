from . import gentle_demo
