z6715-----
r z BC-BKN--Heat-Hawks 1stLd-Writethru   02-20 0500
^BC-BKN--Heat-Hawks, 1st Ld-Writethru,416< 
^Deng has 30 points, short-handed Heat beat Hawks 115-111< 
^AP Photo GATK105, GATK106, GATK103, GATK107, GATK104, GATK102< 
^Eds: Heat 115, Hawks 111. Updates. With AP Photos.< 
^Luol Deng scored 30 points and Josh McRoberts had 19 _ season highs for each player _ and the Miami Heat, playing without All-Stars Dwyane Wade and Chris Bosh, beat the Atlanta Hawks 115-111 on Friday night. Wade was ruled out about an hour before the game due to soreness in the back of his left knee.< 
^By CHARLES ODUM= 
^AP Sports Writer= 
	   ATLANTA (AP) _ Luol Deng scored 30 points and Josh McRoberts had 19 _ season highs for each player _ and the Miami Heat, playing without All-Stars Dwyane Wade and Chris Bosh, beat the Atlanta Hawks 115-111 on Friday night. 
	   Wade was ruled out about an hour before the game due to soreness in the back of his left knee, leaving the Heat with nine healthy players. 
	   Bosh is out indefinitely with a blood clot in his leg. Miami also was missing center Hassan Whiteside, who was suspended for one game. 

	   AP-WF-02-20-16 0337GMT<


