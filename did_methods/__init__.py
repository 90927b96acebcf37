"""DID method drivers, one module per method, each registered under the ``vcnode.did_methods`` entry
points. A driver implements :class:`vcnode.did.driver.DidMethodDriver`; adding a method touches no core code.
"""
