"""crackdown: were China's government-aligned AI firms spared the 2020-2022 tech crackdown?"""

__version__ = "0.1.0"
