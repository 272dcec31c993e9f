"""EU DCC ("HC1:") vaccination, test and recovery certificates, checked offline.

``HC1:`` + Base45(zlib(COSE_Sign1(CWT))) is unpacked within fixed bounds (``cose``), its
signature checked against a trust list of document signer certificates held on the kiosk
(``trustlist``, ``signature``), its CWT times compared with the kiosk's clock and its
contents summarised (``facts``), giving one ``Verdict`` per scan (``verdicts``). No Qt, no
network: the centre's copy of the trust list is fetched by ``refresh`` when online.
"""
