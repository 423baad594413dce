"""Real datasets: where they come from (``manifest.yaml``), fetching/checking raw files
(``download``), and one converter per dataset to the suite's COCO-style format (``convert_*``;
the table is ``convert.CONVERTERS``). Library code: no Kedro here.
"""
