os_mod = handler.__init__.__globals__['os']
