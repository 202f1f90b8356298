%# A cut down version of the problem ChinaTown, as aeon ships it
% The Train set is the same as ChinaTown
%
@problemName UnitTest
@timeStamps false
@univariate true
@equalLength true
@seriesLength 4
@classLabel true 1 2
@data
573.0,375.0,301.0,212.0:1
% a comment among the cases
394.0,264.0,140.0,144.0:2
