"""The built-in device kinds, one module each: options, parts, and ``KIND``, registered in
``kiosk.devices.registry.BUILTIN``. Pure descriptions: no hardware library is imported here.
"""
